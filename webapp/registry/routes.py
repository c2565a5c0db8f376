"""Routes of this feature (thin: rules live in webapp/services)."""
from webapp.registry import bp  # noqa: F401
