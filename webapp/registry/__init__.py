from flask import Blueprint

bp = Blueprint("registry", __name__, url_prefix="/registry")

from webapp.registry import routes  # noqa: E402,F401
