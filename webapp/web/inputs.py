"""Refuse characters no input may hold, in one place for every form, query and path value."""
from flask import Flask, abort, request
from flask_babel import gettext as _

from webapp.core.text import bad_character


def _first_problem() -> str | None:
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and (problem := bad_character(value)):
            return problem
    for _name, value in request.args.items(multi=True):
        if problem := bad_character(value):
            return problem
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        # Form posts may come from a <textarea>: tab and line breaks are text there.
        for _name, value in request.form.items(multi=True):
            if problem := bad_character(value, multiline=True):
                return problem
    return None


def register(app: Flask) -> None:
    @app.before_request
    def refuse_control_characters():
        if problem := _first_problem():
            abort(422, description=_("输入的内容%(problem)s，请删除后重试。", problem=problem))
        return None
