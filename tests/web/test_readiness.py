"""/healthz is liveness (no database); /readyz says whether this instance may take traffic."""
from datetime import timedelta

from sqlalchemy import text

from webapp.extensions import db
from webapp.models import OutboxEmail
from webapp.orm import utcnow


def test_ready_when_the_database_is_at_head(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    assert body["ready"] is True and body["database"] == "ok"
    assert body["migrations"]["at_head"] is True
    assert body["outbox"] == {"pending": 0, "oldest_pending_seconds": None}


def test_outbox_backlog_and_age_of_the_oldest_pending_mail(app, client):
    with app.app_context():
        for minutes, status in ((30, "pending"), (5, "pending"), (90, "sent")):
            db.session.add(OutboxEmail(
                kind="activation", to_addr="a@example.com", subject="s", status=status,
                message_id=f"<readyz-{minutes}@test>",
                created_at=utcnow() - timedelta(minutes=minutes)))
        db.session.commit()
    outbox = client.get("/readyz").get_json()["outbox"]
    assert outbox["pending"] == 2
    assert 30 * 60 <= outbox["oldest_pending_seconds"] < 31 * 60


def test_not_ready_when_the_schema_is_behind(app, client):
    with app.app_context():
        head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        db.session.commit()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["migrations"]["current"] == ["0001"]
    finally:
        with app.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
            db.session.commit()


def test_not_ready_with_the_database_down_but_still_alive(app, make_app, tmp_path):
    down = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    client = down.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"ready": False, "database": "unreachable"}
    assert client.get("/healthz").status_code == 200


def test_not_ready_with_postgresql_unreachable(app, make_app):
    down = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none",
                    SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}})
    response = down.test_client().get("/readyz")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"
