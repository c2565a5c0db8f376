"""Routes of this feature (thin: rules live in webapp/services)."""
from webapp.requests import bp  # noqa: F401
