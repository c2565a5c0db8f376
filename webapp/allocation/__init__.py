from flask import Blueprint

bp = Blueprint("allocation", __name__, url_prefix="/orders")

from webapp.allocation import routes  # noqa: E402,F401
