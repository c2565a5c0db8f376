"""Every error answered the way its caller reads it: JSON under /api/, a fragment for htmx,
a full page for browsers, and on the few paths a machine calls with its own error format (the
发票云 API's errcode in an HTTP 200), whatever that path's feature registered."""
from collections.abc import Callable

from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from webapp.core.errors import (Conflict, Expired, Forbidden, Invalid, NotFound, RateLimited,
                                ServiceError, TooLarge)
from webapp.web.htmx import is_htmx

# The one mapping from a refused change to the status the app answers.
STATUS = {Invalid: 422, Forbidden: 403, NotFound: 404, Conflict: 409, Expired: 410,
          TooLarge: 413, RateLimited: 429}

MESSAGES = {
    400: _l("请求无效，请刷新页面后重试。"),
    403: _l("没有权限访问此页面。"),
    404: _l("页面不存在，或您无权查看。"),
    405: _l("不支持该操作。"),
    410: _l("链接已失效。"),
    413: _l("上传的内容过大。"),
    422: _l("提交的内容有误，请检查后重试。"),
    429: _l("操作过于频繁，请稍后再试。"),
    500: _l("系统繁忙，请稍后再试。如问题持续，请联系售后。"),
}


def status_of(exc: ServiceError) -> int:
    """The HTTP status of a domain exception (a plain ServiceError is an Invalid: 422)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 422


MACHINE_ANSWERS = "machine_error_answers"


def answer_errors_at(app: Flask, paths, answer: Callable[[int, str | None], Response]) -> None:
    """Every error on `paths` (a 405, a 413, an input refused before the view, a 500) is
    answered by `answer(status, message)` instead of a page: callers there are machines that
    read only their own format."""
    app.extensions.setdefault(MACHINE_ANSWERS, {}).update(dict.fromkeys(paths, answer))


def _is_api() -> bool:
    # By path, not blueprint: a 405 or 404 has no matched rule, hence no blueprint.
    return request.path == "/api" or request.path.startswith("/api/")


def _error_response(code: int, message: str | None = None):
    if machine := current_app.extensions.get(MACHINE_ANSWERS, {}).get(request.path):
        return machine(code, message)
    message = str(message or MESSAGES.get(code, MESSAGES[500]))
    if _is_api():
        response = jsonify(error=message)
        response.status_code = code
        return response
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    return make_response(render_template(template, code=code, message=message), code)


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        response = _error_response(400, _("页面已过期或表单无效（CSRF 校验失败），请刷新页面后重试。"))
        if is_htmx():
            response.headers["HX-Refresh"] = "true"
        return response

    @app.errorhandler(ServiceError)
    def refused(error: ServiceError):
        # A refused change a view lets through answers its status (the boundary rolled back).
        return _error_response(status_of(error), error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code in (301, 302, 303, 307, 308) or error.code is None:
            return error
        # A description given to abort() is meant for the user; the class default is not.
        description = error.description if error.description != type(error).description else None
        response = _error_response(error.code, description)
        for name, value in error.get_headers():  # Allow on a 405, Retry-After, WWW-Authenticate
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unhandled(error: Exception):
        app.logger.exception("Unhandled error")
        return _error_response(500)
