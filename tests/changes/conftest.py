"""The model-based test's app (model_machine.ModelMachine runs against it)."""
import pytest
from model_machine import CONFIG, ENFORCE, KNOWN_DEFECTS, ModelMachine


@pytest.fixture
def model_app(make_app):
    app = make_app(**CONFIG)
    ModelMachine.app = app
    ModelMachine.enforced = frozenset(KNOWN_DEFECTS if ENFORCE == "all" else ENFORCE.split(","))
    ModelMachine.recorded = {}
    ModelMachine.seen = {}
    yield app
    ModelMachine.app = None
