"""Fixtures of the 智能审批 tests."""
import pytest
from factories import login


@pytest.fixture
def signed_in(app, make_staff):
    """signed_in(role) or signed_in(email=...): a fresh client signed in (staff made on demand)."""

    def factory(role=None, email=None):
        client = app.test_client()
        login(client, email or make_staff(role))
        return client

    return factory
