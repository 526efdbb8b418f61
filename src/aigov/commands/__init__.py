"""The sub-commands of ``aigov``, one module each, imported by name from aigov.cli.COMMANDS when one runs."""
