"""`python -m helpbot` runs the CLI."""

from helpbot.cli import main

main()
