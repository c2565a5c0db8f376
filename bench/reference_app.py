"""The yardstick of `python -m bench server` (issue 17): the smallest Flask app that does the
same honest work as webapp for the measured requests — the toggle (htmx POST), 企业管理 page 1,
the 去分配 panel page 1, 权益查询 page 1 — and `/healthz`, on webapp's own tables.

Its duties, on every request as webapp does them:
- a signed session cookie (Flask's, itsdangerous) naming "<user id>.<session version>", and
  flask-login's "basic" session protection (address and User-Agent) checked;
- the user read with one indexed query (joined to its tenant, whose name the top bar shows) and
  refused unless it exists, is active, holds the session's version and is a tenant admin;
- control characters refused in every input; CSRF (flask-wtf's token scheme) on every POST;
- every query scoped by the user's tenant; lists paged by keyset, 50 rows a page;
- a full, autoescaped page in base.html's layout (top bar, menu, who, 退出 form, flashes) with
  the same rows and columns; the toggle's draft written under the same lock (BEGIN IMMEDIATE on
  SQLite, the order line's row lock on PostgreSQL), refused when the quota is used up, answered
  with the row and the counters out of band (every row of the page when boxes change state);
- on SQLite, reads run `query_only` and writes take the write lock at BEGIN;
- one JSON request-log line with a request id, and webapp's security headers.
Left out, because no measured request needs them: searching (the pages are measured without a
query), paging backwards, the other pages, the login's failure throttling and audit (signing in
is real — the password hash is checked — but not measured).

Run: `DATABASE_URL=… SECRET_KEY=… gunicorn 'bench.reference_app:create_app()'`.
"""
import hashlib
import json
import logging
import os
import re
import sys
import time
import uuid
from base64 import urlsafe_b64decode, urlsafe_b64encode
from datetime import date, datetime, timedelta, timezone
from functools import wraps
from pathlib import Path

from flask import Flask, abort, g, make_response, redirect, render_template, request, session
from flask_wtf.csrf import generate_csrf, validate_csrf
from sqlalchemy import Date, DateTime, bindparam, create_engine, event, text
from werkzeug.security import check_password_hash
from wtforms import ValidationError

CST = timezone(timedelta(hours=8), "CST")
PAGE = 50
READS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_ID = re.compile(r"([0-9]{1,10})\.([0-9]{1,10})")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
FORM_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")  # a textarea's \t\n\r
INT_MAX = 2**31
FORM = "application/x-www-form-urlencoded"
QUOTA_USED_UP = "可分配数量已用完，无法继续勾选。如需分配给其他企业，请先取消已勾选的企业。"
ROLE_LABELS = {"tenant_admin": "租户管理员", "support": "客服", "approver": "审批人", "ops": "运营"}
SOURCE_LABELS = {"registry": "工商自动获取", "manual": "手动填写"}
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin",
}
log = logging.getLogger("bench.reference.request")
ENGINE = None  # create_app makes it: one per process, as gunicorn loads one app a worker


def sql(statement: str, **types):
    """A statement written once, its timestamp and date columns typed (SQLite returns text)."""
    return text(statement).columns(**types) if types else text(statement)


USER = sql('SELECT u.id, u.email, u.role, u.tenant_id, u.active, u.session_version, '
           't.name AS tenant_name FROM "user" u LEFT JOIN tenant t ON t.id = u.tenant_id '
           'WHERE u.id = :id')
LOGIN = sql('SELECT id, password_hash, active, session_version FROM "user" WHERE email = :email')
ENTERPRISES = {  # 企业管理, newest first, keyed by "continues after a row": keyset on id
    bool(after): sql("SELECT id, name, tax_id, legal_rep, reg_status, source, created_at FROM "
                     f"enterprise WHERE tenant_id = :tenant {after} ORDER BY id DESC LIMIT :limit",
                     created_at=DateTime)
    for after in ("", "AND id < :after")}
ENTERPRISE_COUNT = sql("SELECT count(*) FROM enterprise WHERE tenant_id = :tenant")
LINE = sql('SELECT l.id, l.order_id, l.quantity, l.allocated, p.name AS product, '
           '(SELECT count(*) FROM allocation_draft d WHERE d.line_id = l.id) AS drafted '
           'FROM order_line l JOIN "order" o ON o.id = l.order_id '
           'JOIN product p ON p.id = l.product_id WHERE l.id = :line AND l.order_id = :order '
           'AND o.tenant_id = :tenant AND o.activated_at IS NOT NULL')
LOCK_LINE = ('SELECT l.id, l.quantity, l.allocated FROM order_line l '
             'JOIN "order" o ON o.id = l.order_id WHERE l.id = :line AND l.order_id = :order '
             'AND o.tenant_id = :tenant AND o.activated_at IS NOT NULL')
LOCK_LINE = {"sqlite": sql(LOCK_LINE),  # BEGIN IMMEDIATE already holds the write lock
             "postgresql": sql(LOCK_LINE + " FOR NO KEY UPDATE OF l")}
PANEL_ROWS = ("SELECT e.id, e.name, e.tax_id, a.allocated_at, d.id IS NOT NULL AS drafted{count} "
              "FROM enterprise e LEFT JOIN allocation a ON a.enterprise_id = e.id "
              "AND a.line_id = :line LEFT JOIN allocation_draft d ON d.enterprise_id = e.id "
              "AND d.line_id = :line WHERE e.tenant_id = :tenant {where}")
PANEL_PAGE = {  # 去分配: by (name, id); the bound on name lets the (tenant_id, name) index seek
    bool(after): sql(PANEL_ROWS.format(count="", where=after)
                     + " ORDER BY e.name, e.id LIMIT :limit", allocated_at=DateTime)
    for after in ("", "AND e.name >= :name AND (e.name, e.id) > (:name, :id)")}
TOGGLE_ROW = sql(PANEL_ROWS.format(
    count=", (SELECT count(*) FROM allocation_draft c WHERE c.line_id = :line) AS drafted_count",
    where="AND e.id = :enterprise"), allocated_at=DateTime)
ADD_DRAFT = sql("INSERT INTO allocation_draft (line_id, enterprise_id, created_by_id, created_at) "
                "VALUES (:line, :enterprise, :user, :created_at)").bindparams(
                    bindparam("created_at", type_=DateTime(timezone=True)))
DROP_DRAFT = sql("DELETE FROM allocation_draft WHERE line_id = :line "
                 "AND enterprise_id = :enterprise")
PRODUCTS = sql("SELECT code, name FROM product ORDER BY sort, id")
LINES = sql('SELECT l.id, o.order_no, p.name AS product, l.quantity, l.allocated, l.valid_from, '
            'l.valid_until FROM order_line l JOIN "order" o ON o.id = l.order_id '
            'JOIN product p ON p.id = l.product_id WHERE o.tenant_id = :tenant '
            'ORDER BY o.id, p.sort, l.id', valid_from=Date, valid_until=Date)
AFTER_NAME = "(SELECT name FROM enterprise WHERE id = :after AND tenant_id = :tenant)"
RIGHTS_AFTER = f"AND e.name >= {AFTER_NAME} AND (e.name, e.id) > ({AFTER_NAME}, :after)"
RIGHTS_PAGE = {  # 权益查询's enterprises: by (name, id), continuing after an enterprise id
    bool(after): sql("SELECT e.id, e.name, e.tax_id FROM enterprise e WHERE e.tenant_id = :tenant "
               f"{after} ORDER BY e.name, e.id LIMIT :limit")
    for after in ("", RIGHTS_AFTER)}
HOLDINGS = sql("SELECT a.enterprise_id, p.name AS product, o.order_no, a.allocated_at AS since, "
               "l.valid_until FROM allocation a JOIN order_line l ON l.id = a.line_id "
               'JOIN "order" o ON o.id = l.order_id JOIN product p ON p.id = l.product_id '
               "WHERE a.enterprise_id IN :ids AND a.status = 'active' "
               "ORDER BY a.enterprise_id, p.sort, a.allocated_at",
               since=DateTime, valid_until=Date).bindparams(bindparam("ids", expanding=True))


def make_engine(url: str):
    """webapp's engine rules: on SQLite foreign keys, WAL, a busy timeout, BEGIN IMMEDIATE for a
    writing request and query_only for a reading one; on a server, hourly recycling."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_recycle=3600)
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _connect(dbapi, _record):
        dbapi.isolation_level = None  # SQLAlchemy's BEGIN below is the only BEGIN
        for pragma in ("foreign_keys = ON", "busy_timeout = 15000", "journal_mode = WAL",
                       "synchronous = NORMAL"):
            dbapi.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(conn):
        writes = request.method not in READS
        pooled = conn.connection
        if pooled.info.get("query_only", False) == writes:
            pooled.driver_connection.execute(f"PRAGMA query_only = {0 if writes else 1}")
            pooled.info["query_only"] = not writes
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine


def db():
    """This request's connection (its transaction begins with the first statement)."""
    if "conn" not in g:
        g.conn = ENGINE.connect()
    return g.conn


def identifier() -> str:
    """flask-login's session identifier: the address and the User-Agent, hashed."""
    agent = request.headers.get("User-Agent")
    return hashlib.sha512(f"{request.remote_addr}|{agent}".encode()).hexdigest()


def signed_in():
    """The session's user as a row, or None: unknown, disabled, or its session version bumped."""
    match = SESSION_ID.fullmatch(str(session.get("_user_id", "")))
    if match is None or not 0 < int(match[1]) < INT_MAX:
        return None
    if session.get("_id") != identifier() and session.get("_fresh") is not False:
        session["_fresh"] = False  # flask-login's "basic" protection: no longer fresh
    user = db().execute(USER, {"id": int(match[1])}).first()
    if user is None or not user.active or user.session_version != int(match[2]):
        return None
    return user


def tenant_admin(view):
    """Sign-in required (htmx: HX-Redirect to the login page); a tenant admin only (403)."""
    @wraps(view)
    def wrapped(**kwargs):
        user = g.user = signed_in()
        if user is None:
            if request.headers.get("HX-Request") == "true":
                return "", 204, {"HX-Redirect": "/login"}
            return redirect("/login")
        if user.role != "tenant_admin":
            abort(403)
        return view(user, **kwargs)
    return wrapped


def page(template: str, status: int = 200, **context):
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def int_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value < INT_MAX else None


def encode_cursor(name: str, ident: int) -> str:
    raw = json.dumps([name, ident], ensure_ascii=False).encode()
    return urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[str, int] | None:
    if not cursor or len(cursor) > 1200:
        return None
    try:
        name, ident = json.loads(urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        return None
    if not (isinstance(name, str) and type(ident) is int and 0 < ident < INT_MAX):
        return None
    return name, ident


def panel_rows(tenant_id: int, line_id: int, cursor: str | None):
    """One page of the panel's rows and the cursor of the next (None: the last page)."""
    after = decode_cursor(cursor)
    params = {"tenant": tenant_id, "line": line_id, "limit": PAGE + 1}
    if after:
        params.update(name=after[0], id=after[1])
    rows = db().execute(PANEL_PAGE[bool(after)], params).all()
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return rows, (encode_cursor(rows[-1].name, rows[-1].id) if more else None), bool(after)


def bad_input() -> bool:
    """Whether a path value, query argument or form value holds a control character (a form's
    textarea may hold tab and line breaks) or a lone surrogate."""
    if any(isinstance(v, str) and CONTROL.search(v) for v in (request.view_args or {}).values()):
        return True
    if any(CONTROL.search(v) for _, v in request.args.items(multi=True)):
        return True
    return request.mimetype in (FORM, "multipart/form-data") and any(
        FORM_CONTROL.search(v) for _, v in request.form.items(multi=True))


def status_of(valid_until: date | None, today: date) -> str:
    if valid_until is None:
        return "生效中"
    if valid_until < today:
        return "已过期"
    return "即将到期" if (valid_until - today).days <= 30 else "生效中"


def format_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(CST).strftime(fmt)


def create_app(database_url: str | None = None, secret_key: str | None = None) -> Flask:
    global ENGINE
    app = Flask(__name__, template_folder=str(Path(__file__).with_name("reference_templates")))
    app.config.update(SECRET_KEY=secret_key or os.environ["SECRET_KEY"],
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      WTF_CSRF_TIME_LIMIT=None, MAX_CONTENT_LENGTH=8 * 1024 * 1024)
    ENGINE = make_engine(database_url or os.environ["DATABASE_URL"])
    app.extensions["reference_engine"] = ENGINE
    app.jinja_env.globals.update(csrf_token=generate_csrf, role_labels=ROLE_LABELS,
                                 source_labels=SOURCE_LABELS, quota_used_up=QUOTA_USED_UP)
    app.jinja_env.filters["datetime"] = format_datetime
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False

    @app.before_request
    def log_start():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.before_request
    def refuse_control_characters():
        if bad_input():
            abort(422, description="输入的内容不能包含控制字符，请删除后重试。")

    @app.before_request
    def check_csrf():
        if request.method not in READS:
            try:
                validate_csrf(request.form.get("csrf_token") or request.headers.get("X-CSRFToken"))
            except ValidationError:
                return "页面已过期或表单无效（CSRF 校验失败），请刷新页面后重试。", 400, {
                    "HX-Refresh": "true"}
        return None

    @app.after_request
    def log_line(response):  # runs last: after_request hooks run in reverse order
        user, rule = g.get("user"), request.url_rule
        log.info(json.dumps({
            "event": "request", "request_id": g.request_id, "method": request.method,
            "route": rule.rule if rule else None,
            "path": request.path[:200] if rule is None or not rule.arguments else None,
            "ids": {k: v for k, v in (request.view_args or {}).items() if isinstance(v, int)},
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - g.started) * 1000, 2),
            "user_id": user.id if user else None, "tenant_id": user.tenant_id if user else None,
            "remote_addr": request.remote_addr}, ensure_ascii=False))
        response.headers["X-Request-ID"] = g.request_id
        return response

    @app.after_request
    def security_headers(response):
        response.headers.update(HEADERS)
        if response.mimetype == "text/html":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def release(_error):
        conn = g.pop("conn", None)
        if conn is not None:
            conn.close()  # rolls back whatever was not committed

    @app.get("/healthz")
    def healthz():
        return "ok", 200, {"Content-Type": "text/plain"}

    @app.route("/login", methods=["GET", "POST"])
    def login():
        error = None
        if request.method == "POST":
            email = request.form.get("email", "").strip().lower()
            found = db().execute(LOGIN, {"email": email}).first()
            if (found and found.active
                    and check_password_hash(found.password_hash, request.form.get("password", ""))):
                session.update(_user_id=f"{found.id}.{found.session_version}", _fresh=True,
                               _id=identifier())
                return redirect("/enterprises/", 303)
            error = "邮箱或密码错误。"
        return page("login.html", 422 if error else 200, user=None, error=error)

    @app.get("/enterprises/")
    @tenant_admin
    def enterprises(user):
        after = int_arg("after")
        params = {"tenant": user.tenant_id, "after": after, "limit": PAGE + 1}
        rows = db().execute(ENTERPRISES[bool(after)], params).all()
        total = db().execute(ENTERPRISE_COUNT, params).scalar_one()
        return page("enterprises.html", user=user, rows=rows[:PAGE], total=total, after=after,
                    next_after=rows[PAGE - 1].id if len(rows) > PAGE else None)

    @app.get("/orders/<int:order_id>/lines/<int:line_id>/allocate")
    @tenant_admin
    def panel(user, order_id: int, line_id: int):
        params = {"tenant": user.tenant_id, "order": order_id, "line": line_id}
        line = db().execute(LINE, params).first()
        if line is None:
            abort(404)
        rows, next_cursor, paged = panel_rows(user.tenant_id, line_id, request.args.get("after"))
        remaining = max(line.quantity - line.allocated - line.drafted, 0)
        return page("panel.html", user=user, line=line, rows=rows, next_cursor=next_cursor,
                    after=request.args.get("after", "") if paged else "", message=None,
                    drafted=line.drafted, remaining=remaining)

    @app.post("/orders/<int:order_id>/lines/<int:line_id>/toggle")
    @tenant_admin
    def toggle(user, order_id: int, line_id: int):
        enterprise_id = request.form.get("enterprise_id", type=int)
        if enterprise_id is None or not 0 < enterprise_id < INT_MAX:
            abort(400)
        ticked = str(enterprise_id) in request.form.getlist("selected")
        conn = db()
        params = {"tenant": user.tenant_id, "order": order_id, "line": line_id,
                  "enterprise": enterprise_id}
        line = conn.execute(LOCK_LINE[conn.dialect.name], params).first()  # lock first, read after
        found = line and conn.execute(TOGGLE_ROW, params).first()
        if not found:
            abort(404)
        row, drafted = found._asdict(), found.drafted_count
        before = line.quantity - line.allocated - drafted
        refused = None
        if row["allocated_at"] is None and bool(row["drafted"]) != ticked:
            if ticked and before <= 0:
                refused = QUOTA_USED_UP
            else:
                conn.execute(ADD_DRAFT if ticked else DROP_DRAFT, {
                    **params, "user": user.id, "created_at": datetime.now(timezone.utc)})
                drafted += 1 if ticked else -1
                row["drafted"] = ticked
        conn.commit()
        if request.headers.get("HX-Request") != "true":
            return redirect(f"/orders/{order_id}/lines/{line_id}/allocate", 303)
        remaining = max(line.quantity - line.allocated - drafted, 0)
        context = {"line": line, "drafted": drafted, "remaining": remaining, "message": refused,
                   "toggle_url": request.path}
        if refused or before <= 0 or remaining == 0:  # other boxes change state: the whole page
            rows, _next, _paged = panel_rows(user.tenant_id, line_id, request.form.get("after"))
            response = page("rows_swap.html", 409 if refused else 200, rows=rows, **context)
            response.headers.update({"HX-Retarget": "#alloc-rows", "HX-Reswap": "outerHTML"})
            return response
        return page("toggle.html", 409 if refused else 200, row=row, **context)

    @app.get("/entitlements/")
    @tenant_admin
    def entitlements(user):
        conn, today = db(), datetime.now(CST).date()
        after = int_arg("after")
        params = {"tenant": user.tenant_id, "after": after, "limit": PAGE + 1}
        products = conn.execute(PRODUCTS).all()
        lines = [(line, status_of(line.valid_until, today))
                 for line in conn.execute(LINES, params).all()]
        found = conn.execute(RIGHTS_PAGE[bool(after)], params).all()
        rows = {r.id: (r, []) for r in found[:PAGE]}
        if rows:
            for h in conn.execute(HOLDINGS, {"ids": list(rows)}).all():
                rows[h.enterprise_id][1].append((h, status_of(h.valid_until, today)))
        return page("entitlements.html", user=user, products=products, lines=lines,
                    rows=rows.values(), after=after,
                    next_after=found[PAGE - 1].id if len(found) > PAGE else None)

    return app

