from flask import Blueprint

bp = Blueprint("entitlements", __name__, url_prefix="/entitlements")

from webapp.entitlements import routes  # noqa: E402,F401
