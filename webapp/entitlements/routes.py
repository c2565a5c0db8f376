"""Routes of this feature (thin: rules live in webapp/services)."""
from webapp.entitlements import bp  # noqa: F401
