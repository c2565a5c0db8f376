from flask import Blueprint

bp = Blueprint("enterprises", __name__, url_prefix="/enterprises")

from webapp.enterprises import routes  # noqa: E402,F401
