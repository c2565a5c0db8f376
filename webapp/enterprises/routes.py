"""Routes of this feature (thin: rules live in webapp/services)."""
from webapp.enterprises import bp  # noqa: F401
