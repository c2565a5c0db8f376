from flask import Blueprint

bp = Blueprint("support", __name__, url_prefix="/support")

from webapp.support import ops, routes  # noqa: E402,F401  (ops pages share this blueprint)
