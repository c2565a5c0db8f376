"""Several PROCESSES committing drafts of one line at once: never more than bought, never a 500."""
import multiprocessing

import pytest
from factories import PASSWORD, add_enterprises, commit_worker, first_line
from fixtures.database import BASE_CONFIG
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Allocation, AllocationBatch, OrderLine

PROCESSES = 4


@pytest.fixture
def setup(app, make_admin, database_url):
    info = make_admin(lines=(("issue", 5),))
    info["enterprises"] = add_enterprises(app, info["tenant_id"], 3 * PROCESSES)
    line = first_line(app, info["order_id"])
    base = f"/orders/{info['order_id']}/lines/{line}"
    info["line"] = line
    info["urls"] = {"toggle": base + "/toggle", "confirm": base + "/confirm",
                    "commit": base + "/commit"}
    info["config"] = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                      "DATA_ENCRYPTION_KEY": app.config["DATA_ENCRYPTION_KEY"]}
    return info


def run_processes(info, plans) -> list[list]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(plans))
    results = ctx.Queue()
    procs = [ctx.Process(target=commit_worker, args=(
        info["config"], info["email"], PASSWORD, info["urls"], plan, barrier, results))
        for plan in plans]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=180) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    for outcome in outcomes:
        assert not [s for s in outcome if s[0] == "error"], outcome
        assert not [s for s in outcome if s[1] == 500], outcome
    return outcomes


def allocated_state(app, line_id):
    with app.app_context():
        line = db.session.get(OrderLine, line_id)
        rows = db.session.scalar(select(func.count()).select_from(Allocation)
                                 .where(Allocation.line_id == line_id))
        batches = db.session.scalar(select(func.count()).select_from(AllocationBatch))
        return line.allocated, line.quantity, rows, batches


def test_ticking_and_committing_from_many_processes_never_oversells(app, setup):
    ids = setup["enterprises"]
    plans = []
    for p in range(PROCESSES):
        mine = ids[3 * p:3 * p + 3]
        plans.append([("tick", mine[0]), ("tick", mine[1]), ("commit", None),
                      ("tick", mine[2]), ("commit", None)])
    outcomes = run_processes(setup, plans)
    allocated, quantity, rows, batches = allocated_state(app, setup["line"])
    assert allocated == rows <= quantity == 5
    assert allocated == 5  # twelve-plus ticks wanted more than five: the quota filled up
    commits = [s[1] for o in outcomes for s in o if s[0] == "commit"]
    assert commits.count(303) == batches >= 1
    assert set(commits) <= {303, 409, 422}


def test_concurrent_commits_of_one_draft_allocate_it_once(app, setup):
    with app.app_context():
        from webapp.models import AllocationDraft

        for eid in setup["enterprises"][:3]:
            db.session.add(AllocationDraft(line_id=setup["line"], enterprise_id=eid))
        db.session.commit()
    outcomes = run_processes(setup, [[("commit", None)] for _ in range(PROCESSES)])
    allocated, _quantity, rows, batches = allocated_state(app, setup["line"])
    assert (allocated, rows, batches) == (3, 3, 1)
    commits = sorted(s[1] for o in outcomes for s in o if s[0] == "commit")
    assert commits.count(303) == 1 and set(commits) <= {303, 409, 422}


def test_a_double_submitted_form_allocates_once(app, setup):
    with app.app_context():
        from webapp.models import AllocationDraft

        for eid in setup["enterprises"][:4]:
            db.session.add(AllocationDraft(line_id=setup["line"], enterprise_id=eid))
        db.session.commit()
    token = "same-token-from-one-form-0123456789"
    outcomes = run_processes(setup, [[("commit", token)] for _ in range(PROCESSES)])
    allocated, _quantity, rows, batches = allocated_state(app, setup["line"])
    assert (allocated, rows, batches) == (4, 4, 1)
    locations = {s[1] for o in outcomes for s in o if s[0] == "commit-location"}
    statuses = {s[1] for o in outcomes for s in o if s[0] == "commit"}
    assert statuses == {303} and len(locations) == 1
