"""Routes of this feature (thin: rules live in webapp/services)."""
from webapp.support import bp  # noqa: F401
