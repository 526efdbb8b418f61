from aigov.cli import main

main()
