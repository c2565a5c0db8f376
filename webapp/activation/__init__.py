from flask import Blueprint

bp = Blueprint("activation", __name__, url_prefix="/activate")

from webapp.activation import routes  # noqa: E402,F401
