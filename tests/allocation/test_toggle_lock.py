"""The toggle takes the write lock once and briefly: the signed-in user is checked before it
(on SQLite, before `BEGIN IMMEDIATE`), and nothing is sent after the commit (the request log
takes the user's ids from the signed-in value, never from a user expired by the commit)."""
import re

from factories import add_enterprises, first_line, login
from sqlalchemy import event

from webapp.extensions import db

HX = {"HX-Request": "true"}


def test_the_toggle_locks_once_and_sends_nothing_after_its_commit(app, client, make_admin):
    info = make_admin()
    enterprise = add_enterprises(app, info["tenant_id"], 3)[0]
    line = first_line(app, info["order_id"])
    login(client, info["email"])
    with app.app_context():
        engine = db.engine
    sent: list[str] = []

    def statement(_conn, _cursor, text, *_args):
        sent.append(" ".join(text.split()).upper())

    listeners = [("before_cursor_execute", statement),
                 ("commit", lambda _conn: sent.append("COMMIT")),
                 ("rollback", lambda _conn: sent.append("ROLLBACK"))]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        response = client.post(f"/orders/{info['order_id']}/lines/{line}/toggle",
                               data={"enterprise_id": str(enterprise), "selected": str(enterprise)},
                               headers=HX)
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)
    assert response.status_code == 200 and "已分配" in response.get_data(as_text=True)

    assert sent[-1] == "COMMIT" and sent.count("COMMIT") == 1, sent  # nothing after the commit
    user_reads = [i for i, s in enumerate(sent) if re.search(r'\bFROM "?USER"?\s', s)]
    assert len(user_reads) == 1, sent  # the user is read once, never reloaded
    if engine.dialect.name == "sqlite":
        # One write transaction, begun after the user was checked in a read of its own.
        assert sent.count("BEGIN IMMEDIATE") == 1, sent
        locked = sent.index("BEGIN IMMEDIATE")
        assert user_reads[0] < locked, sent
        # Under the lock: the line, the row with the counters, the draft's INSERT; then COMMIT.
        assert len(sent[locked + 1:-1]) == 3, sent
    else:
        # The user, the line's row lock, the row with the counters, the INSERT; then COMMIT.
        assert len(sent) == 5, sent
