"""The two API environments a credential belongs to, and the base URL of each."""
from flask import current_app

from webapp.models.credential import PRODUCTION, TEST

# Where this portal answers each environment's connection check: the test one under /test, as
# an SDK configured with the test base URL calls it.
CHECK_PREFIXES = {PRODUCTION: "", TEST: "/test"}


def api_base(environment: str) -> str:
    """The API base URL an environment's credentials belong to (GOLIVE_BASE_URL_TEST /
    GOLIVE_BASE_URL_PRODUCTION; by default this portal's own connection check)."""
    cfg = current_app.config
    return cfg.get(f"GOLIVE_BASE_URL_{environment.upper()}") or (
        f"{cfg['PUBLIC_BASE_URL']}{CHECK_PREFIXES[environment]}")
