from coresponse.cli import main

main()
