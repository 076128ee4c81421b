from secaudit.cli import run

run()
