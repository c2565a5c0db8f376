"""Signing out, a password change or an account's removal ends every session of the user:
a cookie captured before does not open anything afterwards."""
from factories import PASSWORD, login

from webapp.extensions import db
from webapp.models import User


def _copy_session(app, client):
    """A second browser holding the same session cookie (as an attacker who copied it)."""
    other = app.test_client()
    cookie = client.get_cookie("session")
    other.set_cookie("session", cookie.value)
    return other


def _opens(client, url="/home") -> bool:
    return client.get(url).status_code == 200


def test_logout_ends_a_captured_cookie(app, client, admin):
    stolen = _copy_session(app, client)
    assert _opens(stolen) and _opens(stolen, "/credentials/")
    assert client.post("/logout").status_code == 303
    assert stolen.get("/home").status_code == 302
    assert stolen.get("/credentials/").status_code == 302


def test_logout_ends_the_sessions_of_every_browser(app, client, admin):
    second = app.test_client()
    login(second, admin["email"])
    client.post("/logout")
    assert not _opens(second)
    login(client, admin["email"])  # signing in again works
    assert _opens(client)


def test_a_password_change_ends_every_session(app, client, admin):
    from webapp.auth import service as accounts

    stolen = _copy_session(app, client)
    with app.app_context():
        user = db.session.get(User, admin["user_id"])
        accounts.change_password(user, "another-pass-2", "another-pass-2")
        db.session.commit()
    assert stolen.get("/home").status_code == 302
    assert client.get("/credentials/").status_code == 302
    assert client.post("/login", data={"email": admin["email"], "password": PASSWORD}
                       ).status_code == 422
    login(client, admin["email"], password="another-pass-2")
    assert _opens(client)


def test_disabling_an_account_ends_its_sessions_at_once(app, client, make_staff):
    email = make_staff("support")
    login(client, email)
    assert _opens(client, "/support/")
    result = app.test_cli_runner().invoke(args=["users", "disable", "--email", email])
    assert result.exit_code == 0, result.output
    assert client.get("/support/").status_code == 302
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 422


def test_an_inactive_user_is_not_loaded_even_with_a_current_version(app, client, admin):
    with app.app_context():
        db.session.get(User, admin["user_id"]).active = False  # without bumping the version
        db.session.commit()
    assert client.get("/home").status_code == 302


def test_the_cli_password_change_ends_sessions(app, client, make_staff):
    email = make_staff("ops")
    login(client, email)
    result = app.test_cli_runner().invoke(args=["users", "password", "--email", email],
                                          input="brand-new-pass-3\n")
    assert result.exit_code == 0, result.output
    assert client.get("/home").status_code == 302


def test_a_malformed_session_id_is_signed_out(app, client, admin):
    with client.session_transaction() as session:
        session["_user_id"] = "１.0"  # a full-width digit: isdigit() but not ASCII
    assert client.get("/home").status_code == 302
