"""The two API environments a credential belongs to, and the base URL of each."""
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from webapp.models.credential import ENVIRONMENT_LABELS, ENVIRONMENTS, PRODUCTION, TEST

# Where this portal answers each environment's connection check: the test one under /test, as
# an SDK configured with the test base URL calls it.
CHECK_PREFIXES = {PRODUCTION: "", TEST: "/test"}
NOTES = {
    TEST: _l("测试环境的授权只能用于测试环境地址，用于联调和测试数据；"),
    PRODUCTION: _l("正式环境的授权只能用于正式环境地址，上线后的真实业务使用它；"),
}


@dataclass(frozen=True)
class Environment:
    """An environment as pages and emails show it: label and note in the current language."""

    key: str
    label: str
    base: str
    note: str


def api_base(environment: str) -> str:
    """The API base URL an environment's credentials belong to (GOLIVE_BASE_URL_TEST /
    GOLIVE_BASE_URL_PRODUCTION; by default this portal's own connection check)."""
    cfg = current_app.config
    return cfg.get(f"GOLIVE_BASE_URL_{environment.upper()}") or (
        f"{cfg['PUBLIC_BASE_URL']}{CHECK_PREFIXES[environment]}")


def described() -> dict[str, Environment]:
    """Both environments in the order pages show them (测试环境 first). Labels are resolved
    here, once: a lazy label would be translated again wherever a row shows it."""
    return {env: Environment(env, str(ENVIRONMENT_LABELS[env]), api_base(env), str(NOTES[env]))
            for env in ENVIRONMENTS}
