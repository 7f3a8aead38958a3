"""`python -m shipbot` is the `shipbot` command."""

from shipbot.cli import main

main()
