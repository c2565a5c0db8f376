"""Routes of this feature (thin: rules live in webapp/services)."""
from webapp.allocation import bp  # noqa: F401
