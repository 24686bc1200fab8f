"""Command line (Typer). ``main`` is the console entry point."""

from chiso.cli.app import main

__all__ = ["main"]
