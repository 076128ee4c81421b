from secaudit.cli import main

main()
