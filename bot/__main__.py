"""`python -m bot` is the `shipbot` command."""

from bot.cli import main

main()
