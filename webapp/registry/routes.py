"""Routes of this feature (thin: rules live in webapp/services); the CLI lives in cli.py."""
from webapp.registry import bp  # noqa: F401
from webapp.registry import cli  # noqa: F401
