"""Sub-commands with their own module, loaded lazily by aigov.cli.LazyGroup."""
