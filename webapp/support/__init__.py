from flask import Blueprint

bp = Blueprint("support", __name__, url_prefix="/support")

from webapp.support import routes  # noqa: E402,F401
