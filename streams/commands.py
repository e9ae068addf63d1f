"""Subcommands registered on the ``newsstream`` group (kept apart from cli.py so
each area owns its own command module)."""
