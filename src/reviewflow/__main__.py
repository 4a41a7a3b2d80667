from reviewflow.cli import main

main()
