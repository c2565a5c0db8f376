"""A disabled account's sessions end at once (the user loader refuses inactive users)."""
from factories import login
from sqlalchemy import update

from webapp.extensions import db
from webapp.models import User


def test_disabling_an_account_ends_its_session(app, client, make_staff):
    email = make_staff("approver")
    login(client, email)
    assert client.get("/requests/queue").status_code == 200
    with app.app_context():
        db.session.execute(update(User).where(User.email == email).values(active=False))
        db.session.commit()
    response = client.get("/requests/queue")
    assert response.status_code == 302 and "/login" in response.location
