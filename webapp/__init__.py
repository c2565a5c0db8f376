"""发票云激活中心: the application factory."""
from flask import Flask

from webapp import config as app_config
from webapp.config import ROOT
from webapp.web.boundary import UnitOfWorkFlask


def create_app(config: dict | None = None) -> Flask:
    """Build the app from the environment, then `config` on top; no side effects."""
    from webapp.web.jinja_i18n import LocaleEnvironment

    app = UnitOfWorkFlask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(app_config.INSTANCE),
    )
    # Before anything builds app.jinja_env: templates compiled once per locale, their
    # constant translations written in (web/jinja_i18n.py).
    app.jinja_environment = LocaleEnvironment
    app.config.from_object(app_config.Defaults)
    app.config.from_mapping(app_config.from_environment())
    if config:
        app.config.from_mapping(config)
    _check_secrets(app)
    app_config.settle_public_base_url(app.config)
    app.config.setdefault("DEV_MAILBOX", not app.config.get("MAIL_SERVER")
                          and app.config["APP_ENV"] == "development")
    # Flask-Mail suppresses sending under TESTING; our tests talk to a real SMTP server.
    app.config["MAIL_SUPPRESS_SEND"] = not app.config.get("MAIL_SERVER")

    register_extensions(app)
    register_converters(app)
    register_blueprints(app)
    register_hooks(app)
    from webapp import cli
    from webapp.web import errors, templating

    errors.register(app)
    templating.register(app)
    cli.register(app)
    return app


def _check_secrets(app: Flask) -> None:
    missing = [name for name in app_config.REQUIRED_SECRETS if not app.config.get(name)]
    if missing:
        raise RuntimeError(
            "Missing required configuration: " + ", ".join(missing)
            + " (set them in the environment or .env; `make run` generates them for development)"
        )


def register_extensions(app: Flask) -> None:
    from webapp import database
    from webapp.core import crypto, ratelimit
    from webapp.extensions import csrf, db, login_manager, mail, migrate

    database.engine_options(app)
    db.init_app(app)
    database.configure(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    mail.init_app(app)
    csrf.init_app(app)
    _csrf_where_it_applies(app)
    crypto.init_app(app)
    ratelimit.init_app(app)


def _csrf_where_it_applies(app: Flask) -> None:
    """flask-wtf's CSRF check, asked only of the methods it checks: its own hook (off here)
    looks up the view's exemption first, on every GET too."""
    from flask import request

    from webapp.extensions import csrf

    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    checked = app.config["WTF_CSRF_METHODS"]

    @app.before_request
    def check_csrf():
        if request.method in checked and app.config["WTF_CSRF_ENABLED"]:
            csrf.protect(apply_exemptions=True)


def register_converters(app: Flask) -> None:
    from webapp.web.converters import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added


def register_blueprints(app: Flask) -> None:
    import importlib

    for feature in ("main", "auth", "activation", "dev", "enterprises", "allocation",
                    "credentials", "support", "orders", "entitlements", "changes", "api",
                    "golive"):
        app.register_blueprint(importlib.import_module(f"webapp.{feature}.routes").bp)


def register_hooks(app: Flask) -> None:
    from webapp.core import outbox
    from webapp.web import assets, inputs, requestlog, security

    assets.register(app)
    requestlog.register(app)
    security.register(app)
    inputs.register(app)
    outbox.register_background_sender(app)
