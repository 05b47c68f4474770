"""The `ivr` command and its operator subcommands."""

from ivr.cli.main import main

__all__ = ["main"]
