"""`python -m bot`: the same entry point as the `cnrp-bot` console script."""

from bot.cli import run

run()
