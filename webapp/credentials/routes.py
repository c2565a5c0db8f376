"""Routes of this feature (thin: rules live in webapp/services)."""
from webapp.credentials import bp  # noqa: F401
