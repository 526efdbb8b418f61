from aigov.cli import run

run()
