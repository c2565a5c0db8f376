"""Routes of this feature (thin: rules live in webapp/services)."""
from webapp.api import bp  # noqa: F401
