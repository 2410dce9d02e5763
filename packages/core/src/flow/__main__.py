from flow.cli import main

main()
