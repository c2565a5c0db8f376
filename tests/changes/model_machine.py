"""Issue 15's model of 智能审批, run by test_model.py (random sequences) and replayed by
test_model_replays.py (the shortest sequences that failed).

Issue 15's model-based test: a hypothesis state machine drives the services as the routes call
them (tests/changes/model_adapter.py) with three tenants, several orders and products, and
random sequences of 新增企业 (tax IDs held elsewhere too), ticks and 【下一步】, the four
requests (开票 and 收票 tax ID changes, 企业变更租户, 合并租户) through every step, 重置密钥 and
connection checks; after every step it checks the invariants against the database:

- per order line: allocated = number of active allocations ≤ quantity;
- a tax ID holding an active allocation has exactly one usable 企业授权 per environment (测试环境,
  正式环境), and a token request signed with it answers errcode 0000 at its own environment's
  address and 1010 at the other's; a tax ID holding none has none usable;
- a move or a merge conserves every kind of row (counted independently, tests/request_rows.py);
- what a tenant reads (its lists, its requests, its audit log) names no enterprise, request or
  audit entry it does not own, beyond what it is meant to see of a request it is party to;
- a request executes at most once; a refused or rejected request, and any refused step,
  changes nothing.

`make test` runs a bounded, derandomized search on each database; `make fuzz` a longer random
one (MODEL_EXAMPLES, MODEL_STEPS, MODEL_RANDOM=1).

Each defect the issue lists, and two this test found (test_replay_defect_*), is replayed from
its shortest failing sequence (hypothesis' sequence, shortened by hand) with only its check
enforced: they failed before the fixes of issue 15. KNOWN_DEFECTS names checks a run records
(printed with -s) instead of failing, for a defect found but not fixed yet; it is empty.
"""
import os
from dataclasses import dataclass, field

import model_adapter as do
from factories import PASSWORD, tax_id
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from request_rows import last_ids, tenant_rows
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import (Allocation, AllocationDraft, AuditEntry, ChangeRequest, Credential,
                           Enterprise, Order, OrderLine, RequestEvent, Tenant, User)
from webapp.models.credential import ENVIRONMENTS
from webapp.models.request import (APPROVED, AWAITING, EXECUTED, FAILED, MERGE, MOVE, PENDING,
                                   REJECTED, TAX_ISSUE)

EXAMPLES = int(os.environ.get("MODEL_EXAMPLES", "8"))
STEPS = int(os.environ.get("MODEL_STEPS", "30"))
RANDOM = os.environ.get("MODEL_RANDOM") == "1"
# Checks of KNOWN_DEFECTS that fail the run anyway (comma-separated names, or "all"): to see the
# minimal sequence hypothesis prints for one, or to try its fix.
ENFORCE = os.environ.get("MODEL_ENFORCE", "")

# The checks of the defects issue 15 lists (its item number in brackets).
CREDENTIAL_FOLLOWS_HOLDINGS = "credential_follows_holdings"  # [1] 收票 change disables 开票
LISTS_FOLLOW_HOLDINGS = "lists_follow_holdings"  # [2] lists keep tax IDs that lost it
HISTORY_STAYS = "history_stays"  # [3] a move hands the source's requests and audit over
PAID_AFTER_APPROVAL = "paid_after_approval"  # [5] 标记已付款 before 通过
CONSENT_IS_THE_TENANTS = "consent_is_the_tenants"  # [8] support accepts without consent
MERGE_PREVIEW_TELLS_NOTHING = "merge_preview_tells_nothing"  # [7] the merge form's counts
COUNTS_AFTER_CONSENT = "counts_after_consent"  # [3] the filer sees the holder's counts at once
WAITING_ON_HOME = "waiting_on_home"  # [4] the holder's home does not show what waits for it
# Not in the issue's list (found by this test): a tax ID allocated again through 【下一步】 after a
# change switched its credential off keeps only the 已停用 one, and the authorization email of
# the new allocation carries it (the ERP gets 1006).
REALLOCATED_KEEPS_DISABLED = "reallocated_keeps_disabled"
# Not in the issue's list either: a tax ID change filed by tenant A still executes after its
# enterprise moved to tenant B, on B's enterprise (the new tax ID is created in B).
REQUEST_ACTS_ON_ITS_OWN = "request_acts_on_its_own"
KNOWN_DEFECTS: set[str] = set()  # all fixed (issue 15); a new one goes here with its replay

TENANTS = ("苏州示例科技有限公司", "杭州持有集团有限公司", "南京第三方实业有限公司")
# Per tenant: its orders, each a list of (product, quantity): 开票, 收票 and a free product.
ORDERS = (
    ([("issue", 3), ("receive", 2)], [("image", 1)]),
    ([("issue", 2), ("receive", 2)],),
    ([("receive", 3), ("issue", 1)],),
)
POOL = [tax_id(n, "91320500") for n in range(1, 11)]  # the tax IDs 新增企业 and changes use
FRESH = [tax_id(n) for n in (90, 91, 92)]  # tax IDs only a change brings in (new enterprises)


def name_of(tax: str) -> str:
    """Two tax IDs of the pool share each name, so moves and merges meet name collisions."""
    if tax in FRESH:
        return f"新税号{FRESH.index(tax)}号有限公司"
    return f"示例企业{POOL.index(tax) % 5}号有限公司"


class Violation(AssertionError):
    """An invariant of issue 15 does not hold."""


@dataclass
class Req:
    """What the model knows of a request: who filed it, the tenants party to it, its state."""

    id: int
    kind: str
    filer: int  # the tenant that filed (or that support filed for)
    parties: set[int]
    status: str
    fee_cents: int | None = None


@dataclass
class World:
    tenants: list[int] = field(default_factory=list)
    admins: dict[int, int] = field(default_factory=dict)  # tenant id → its first admin's id
    support: int = 0
    approvers: list[int] = field(default_factory=list)


def build_world(app) -> World:
    """Three activated tenants with their orders, a support agent and two approvers."""
    from webapp.activation import service as activation
    from webapp.auth import service as accounts
    from webapp.orders import service as orders

    world = World()
    with app.app_context():
        n = 0
        for i, (customer, order_lines) in enumerate(zip(TENANTS, ORDERS, strict=True)):
            email = f"admin{i}@tenant.test"
            for lines in order_lines:
                n += 1
                order = orders.create_order(order_no=f"SO-M{n}", customer=customer,
                                            contact_email=email, lines=lines)
                orders.deliver(order)
                activation.choose_erp(order, "xingkong", "public")
                existing = db.session.scalar(select(User).where(User.email == email))
                user = activation.activate(order, user=existing, password=PASSWORD,
                                           confirm=PASSWORD)
            world.tenants.append(user.tenant_id)
            world.admins[user.tenant_id] = user.id
        world.support = accounts.create_staff("support@staff.test", "support", PASSWORD).id
        world.approvers = [accounts.create_staff(f"approver{i}@staff.test", "approver",
                                                 PASSWORD).id for i in (1, 2)]
        db.session.commit()
    return world


def reset(app) -> None:
    """Empty every table, as tests/fixtures/database.py does after each test."""
    from fixtures.database import _empty_tables

    with app.app_context():
        _empty_tables()
        db.session.remove()


def business_rows() -> dict:
    """Everything a step may change, but the logs (audit, emails, request events, tokens)."""
    def rows(*columns):
        return sorted(tuple(r) for r in db.session.execute(select(*columns)))

    return {
        "tenants": rows(Tenant.id, Tenant.merged_into_id),
        "users": rows(User.id, User.tenant_id),
        "orders": rows(Order.id, Order.tenant_id),
        "lines": rows(OrderLine.id, OrderLine.allocated),
        "enterprises": rows(Enterprise.id, Enterprise.tenant_id, Enterprise.tax_id,
                            Enterprise.name),
        "allocations": rows(Allocation.id, Allocation.line_id, Allocation.enterprise_id,
                            Allocation.status, Allocation.replaced_by_id),
        "credentials": rows(Credential.id, Credential.tenant_id, Credential.enterprise_id,
                            Credential.status, Credential.client_secret_enc),
        "drafts": rows(AllocationDraft.line_id, AllocationDraft.enterprise_id),
        "requests": rows(ChangeRequest.id, ChangeRequest.tenant_id, ChangeRequest.status,
                         ChangeRequest.fee_cents, ChangeRequest.fee_paid_at.is_not(None)),
    }


def without_request(rows: dict, request_id: int) -> dict:
    return {**rows, "requests": [r for r in rows["requests"] if r[0] != request_id]}


class ModelMachine(RuleBasedStateMachine):
    """The model: who owns each tax ID, each request, each audit entry; the rest is read back."""

    app = None  # set by the test (the app of this run's database)
    enforced = frozenset()  # the KNOWN_DEFECTS checks that fail instead of being recorded
    recorded: dict = {}  # known defect → the first message seen (the main run's report)
    seen: dict = {}  # what the run reached (step → count), printed with -s: coverage at a glance

    def note(self, what: str) -> None:
        type(self).seen[what] = type(self).seen.get(what, 0) + 1

    def __init__(self):
        super().__init__()
        reset(self.app)
        self.world = build_world(self.app)
        self.client = self.app.test_client()
        self.owner: dict[str, int] = {}  # tax ID → tenant (the model of 企业 ↔ 租户)
        self.requests: dict[int, Req] = {}
        self.audit_owner: dict[int, int | None] = {}
        self.merged: dict[int, int] = {}  # source tenant → target
        self.verified: set[tuple] = set()  # (credential, secret) whose token call answered 0000
        self.browsers: dict = {}  # user id → a signed-in test client
        self.last_audit = 0
        self._learn_audit()

    @initialize()
    def holdings(self):
        """Each tenant starts with two enterprises of the pool holding its first line (开票 for
        two tenants), the first of them its second line too (收票): what changes start from."""
        for i, tenant in enumerate(self.world.tenants):
            admin = self.admin_of(tenant)
            taxes = POOL[2 * i:2 * i + 2]
            ids = [do.add_enterprise(self.app, tenant, admin, name_of(tax), tax) for tax in taxes]
            self.owner.update(dict.fromkeys(taxes, tenant))
            for (order_id, line_id), holders in zip(self.lines_of(tenant)[:2], (ids, ids[:1]),
                                                    strict=True):
                for enterprise_id in holders:
                    do.tick(self.app, tenant, order_id, line_id, enterprise_id, True, admin)
                assert not isinstance(do.commit_draft(self.app, tenant, order_id, line_id, admin),
                                      do.Refused)

    # ---- helpers ----

    def expect(self, defect: str | None, ok: bool, message: str) -> None:
        """An invariant; one failing on a known defect is recorded unless enforced."""
        if ok:
            return
        if defect in KNOWN_DEFECTS and defect not in self.enforced:
            type(self).recorded.setdefault(defect, message)
            return
        raise Violation(f"[{defect or 'invariant'}] {message}")

    def alive(self, t: int) -> int:
        """The tenant index t acts as (a merged tenant's admins work in its target)."""
        tenant = self.world.tenants[t % len(self.world.tenants)]
        while tenant in self.merged:
            tenant = self.merged[tenant]
        return tenant

    def admin_of(self, tenant: int) -> int:
        with self.app.app_context():
            return db.session.scalar(select(User.id).where(User.tenant_id == tenant)
                                     .order_by(User.id).limit(1))

    def alive_tenants(self) -> list[int]:
        return [t for t in self.world.tenants if t not in self.merged]

    def name_of_tenant(self, tenant: int) -> str:
        return TENANTS[self.world.tenants.index(tenant)]

    def _learn_audit(self) -> None:
        """Audit entries written by the last step belong to the tenant they were written for."""
        with self.app.app_context():
            for entry_id, tenant in db.session.execute(
                    select(AuditEntry.id, AuditEntry.tenant_id).where(AuditEntry.id > self.last_audit)):
                self.audit_owner[entry_id] = tenant
                self.last_audit = max(self.last_audit, entry_id)

    def pick_request(self, r: int, *statuses, kind: str | None = None) -> Req | None:
        found = [q for q in self.requests.values() if (not statuses or q.status in statuses)
                 and kind in (None, q.kind)]
        return found[r % len(found)] if found else None

    def db_request(self, request_id: int) -> ChangeRequest:
        with self.app.app_context():
            req = db.session.get(ChangeRequest, request_id)
            db.session.expunge(req)
            return req

    # ---- 新增企业, ticks, 【下一步】 ----

    @rule(t=st.integers(0, 2), tax=st.sampled_from(POOL + FRESH))
    def add_enterprise(self, t, tax):
        tenant = self.alive(t)
        before = self.snapshot()
        result = do.add_enterprise(self.app, tenant, self.admin_of(tenant), name_of(tax), tax)
        if tax in self.owner:
            assert isinstance(result, do.Refused), f"{tax} is held by {self.owner[tax]}"
            self.assert_unchanged(before, "a refused 新增企业")
        else:
            assert not isinstance(result, do.Refused), result.message
            self.owner[tax] = tenant
        self.note("新增企业 " + ("refused" if isinstance(result, do.Refused) else "ok"))

    def lines_of(self, tenant: int) -> list[tuple[int, int]]:
        with self.app.app_context():
            return db.session.execute(select(OrderLine.order_id, OrderLine.id).join(Order).where(
                Order.tenant_id == tenant).order_by(OrderLine.id)).all()

    def enterprises_of(self, tenant: int) -> list[int]:
        with self.app.app_context():
            return list(db.session.scalars(select(Enterprise.id).where(
                Enterprise.tenant_id == tenant).order_by(Enterprise.id)))

    @rule(t=st.integers(0, 2), line=st.integers(0, 5), e=st.integers(0, 7), on=st.booleans())
    def tick(self, t, line, e, on):
        tenant = self.alive(t)
        lines, ents = self.lines_of(tenant), self.enterprises_of(tenant)
        if not ents:
            return
        order_id, line_id = lines[line % len(lines)]
        before = self.snapshot()
        result = do.tick(self.app, tenant, order_id, line_id, ents[e % len(ents)], on,
                         self.admin_of(tenant))
        if isinstance(result, do.Refused) or result is None:
            self.assert_unchanged(before, "a refused tick")

    @rule(t=st.integers(0, 2), line=st.integers(0, 5))
    def next_step(self, t, line):
        """【下一步】 → 确认分配."""
        tenant = self.alive(t)
        lines = self.lines_of(tenant)
        order_id, line_id = lines[line % len(lines)]
        before = self.snapshot()
        result = do.commit_draft(self.app, tenant, order_id, line_id, self.admin_of(tenant))
        self.note("确认分配 " + ("refused" if isinstance(result, do.Refused) else "ok"))
        if isinstance(result, do.Refused):
            self.assert_unchanged(before, "a refused 确认分配")

    @rule(t=st.integers(0, 2), line=st.integers(0, 5), e=st.integers(0, 7))
    def allocate(self, t, line, e):
        """A tick then 【下一步】 → 确认分配 on the same line (the common path)."""
        self.tick(t, line, e, True)
        self.next_step(t, line)

    # ---- filing ----

    def filer(self, tenant: int, by_support: bool) -> int:
        return self.world.support if by_support else self.admin_of(tenant)

    def filed(self, result, kind: str, tenant: int, parties: set[int]) -> None:
        if isinstance(result, do.Refused):
            return
        req = self.db_request(result)
        assert req.kind == kind and req.tenant_id == tenant
        expected = AWAITING if kind in (MOVE, MERGE) else PENDING
        assert req.status == expected, (req.status, expected)
        self.requests[req.id] = Req(req.id, kind, tenant, parties, req.status)
        self.note(f"filed {kind}")

    @rule(t=st.integers(0, 2), a=st.integers(0, 9), tax=st.sampled_from(POOL + FRESH),
          by_support=st.booleans())
    def file_tax_change(self, t, a, tax, by_support):
        from webapp.changes import filing

        tenant = self.alive(t)
        with self.app.app_context():
            allocations = [(x.id, x.line.product.code) for x in filing.active_allocations(tenant)]
        if not allocations:
            return
        allocation_id, product = allocations[a % len(allocations)]
        before = self.snapshot()
        result = do.file_tax_change(self.app, tenant, self.filer(tenant, by_support),
                                    allocation_id, name_of(tax),
                                    tax)
        if isinstance(result, do.Refused):
            self.assert_unchanged(before, "a refused tax ID change")
            return
        kind = TAX_ISSUE if product == "issue" else "tax_change_receive"
        assert self.owner.get(tax) in (None, tenant), f"{tax} is another tenant's"
        self.filed(result, kind, tenant, {tenant})

    @rule(t=st.integers(0, 2), tax=st.sampled_from(POOL), by_support=st.booleans())
    def file_move(self, t, tax, by_support):
        tenant = self.alive(t)
        before = self.snapshot()
        result = do.file_move(self.app, tenant, self.filer(tenant, by_support), tax)
        holder = self.owner.get(tax)
        if holder in (None, tenant):
            assert isinstance(result, do.Refused), "a move of an unheld or own tax ID was filed"
        if isinstance(result, do.Refused):
            self.assert_unchanged(before, "a refused move")
            return
        self.filed(result, MOVE, tenant, {tenant, holder})

    @rule(t=st.integers(0, 2), other=st.integers(0, 2), into_other=st.booleans(),
          by_support=st.booleans())
    def file_merge(self, t, other, into_other, by_support):
        tenant, partner = self.alive(t), self.alive(other)
        before = self.snapshot()
        result = do.file_merge(self.app, tenant, self.filer(tenant, by_support),
                               self.name_of_tenant(partner),
                               "into_other" if into_other else "into_mine")
        if partner == tenant:
            assert isinstance(result, do.Refused)
        if isinstance(result, do.Refused):
            self.assert_unchanged(before, "a refused merge")
            return
        self.filed(result, MERGE, tenant, {tenant, partner})

    @rule(t=st.integers(0, 2), other=st.integers(0, 2))
    def merge_preview_probe(self, t, other):
        """The merge form, with another tenant's exact name and with an unknown name: before the
        other side consents, nothing tells them apart (no counts, the same answer)."""
        tenant, partner = self.alive(t), self.alive(other)
        if partner == tenant:
            return
        known = do.merge_preview(self.app, tenant, self.admin_of(tenant),
                                 self.name_of_tenant(partner))
        unknown = do.merge_preview(self.app, tenant, self.admin_of(tenant), "并不存在的租户有限公司")
        self.expect(MERGE_PREVIEW_TELLS_NOTHING,
                    isinstance(known, do.Refused) == isinstance(unknown, do.Refused)
                    and not (isinstance(known, dict) and known.get("counts")),
                    f"the merge preview of an existing tenant answers {known!r}, of an unknown "
                    f"name {unknown!r}")

    def browser(self, user_id: int):
        if user_id not in self.browsers:
            self.browsers[user_id] = do.signed_in_client(self.app, user_id)
        return self.browsers[user_id]

    @rule(r=st.integers(0, 9), tax=st.sampled_from(POOL))
    def filer_reads_before_consent(self, r, tax):
        """Before the other side consents, the filer sees none of its counts: neither on the
        move form of a tax ID another tenant holds, nor on the page of its waiting request."""
        req = self.pick_request(r, AWAITING)
        holder = self.owner.get(tax)
        if holder is not None:
            tenant = self.alive(r)
            if tenant != holder:
                admin = self.admin_of(tenant)
                page = self.browser(admin).get(f"/requests/move?tax_id={tax}")
                assert page.status_code == 200, page.status_code
                with self.app.app_context():
                    rows = do.move_form_rows(tenant, admin, tax)
                    db.session.rollback()
                shown = do.page_shows_counts(page.get_data(as_text=True), rows)
                self.expect(COUNTS_AFTER_CONSENT, not shown,
                            f"the move form shows the holder's counts of {tax}: {shown}")
        if req is None:
            return
        with self.app.app_context():
            r_db = db.session.get(ChangeRequest, req.id)
            others = req.kind == MOVE or r_db.target_tenant_id == req.filer
            rows = do.preview_rows_now(req.id)
        if not others:
            return
        page = self.browser(self.admin_of(self.alive_id(req.filer))).get(f"/requests/{req.id}")
        assert page.status_code == 200, page.status_code
        shown = do.page_shows_counts(page.get_data(as_text=True), rows)
        self.expect(COUNTS_AFTER_CONSENT, not shown,
                    f"the filer of request {req.id} ({req.kind}, 待对方确认) sees the other "
                    f"side's counts {shown}")

    @rule(r=st.integers(0, 9))
    def other_side_opens_its_home(self, r):
        """What waits for a tenant is in front of it: the home of the side that must confirm
        links to the request."""
        req = self.pick_request(r, AWAITING)
        admin = req and self.other_side_admin(req)
        if admin is None:
            return
        page = self.browser(admin).get("/home")
        assert page.status_code == 200, page.status_code
        self.expect(WAITING_ON_HOME, f'href="/requests/{req.id}"' in page.get_data(as_text=True),
                    f"the home of the side that must confirm request {req.id} does not link to it")

    # ---- the steps of a request ----

    def other_side_admin(self, req: Req) -> int | None:
        from webapp.changes import lifecycle

        with self.app.app_context():
            side = lifecycle.other_side(db.session.get(ChangeRequest, req.id))
            return db.session.scalar(select(User.id).where(User.tenant_id == side, User.role ==
                                                           "tenant_admin").order_by(User.id))

    def step(self, req: Req, result, allowed: set[str], what: str, before: dict) -> None:
        """Check a step's outcome: a refusal changed nothing; a success moved the request
        along `allowed` states only, changed no other request, and executed at most once."""
        now = self.db_request(req.id)
        self.note(f"{what} {req.kind}: " + ("refused" if isinstance(result, do.Refused)
                                            else f"{req.status} → {now.status}"))
        if isinstance(result, do.Refused):
            assert now.status == req.status, f"a refused {what} moved {req.status} → {now.status}"
            self.assert_unchanged(before, f"a refused {what}")
            return
        assert now.status in allowed, f"{what}: {req.status} → {now.status} (allowed {allowed})"
        if now.status != EXECUTED:
            # Nothing but the request itself changes unless it executes (refused, rejected…).
            self.assert_unchanged(before, f"{what} ({req.status} → {now.status})", but=req.id)
        req.status = now.status

    @rule(r=st.integers(0, 9), who=st.sampled_from(["other side", "filer", "third", "support"]))
    def accept(self, r, who):
        self.answer(r, who, lambda app, request_id, actor: do.accept(app, request_id, actor,
                                                                     consent=True),
                    PENDING, "accept")

    def answer(self, r, who, act, outcome: str, what: str) -> None:
        """The other side's answer to a 待对方确认 request (act(app, request id, actor)), given
        by `who`: only the other side and support may; the request then moves to `outcome`."""
        req = self.pick_request(r, AWAITING)
        actor = req and self.actor(req, who)
        if actor is None:
            return
        before = self.snapshot()
        result = act(self.app, req.id, actor)
        if not (req.status == AWAITING and who in ("other side", "support")):
            assert isinstance(result, do.Refused), f"{who} may not {what} a {req.status} request"
        self.step(req, result, {outcome}, what, before)

    @rule(r=st.integers(0, 9))
    def support_accepts_without_consent(self, r):
        """Consent is the tenant's: support accepting for it must attach its written consent."""
        req = self.pick_request(r, AWAITING)
        if req is None:
            return
        before = self.snapshot()
        result = do.accept(self.app, req.id, self.world.support, consent=False)
        self.expect(CONSENT_IS_THE_TENANTS, isinstance(result, do.Refused),
                    f"support accepted request {req.id} without the tenant's written consent")
        self.step(req, result, {PENDING}, "accept", before)

    def actor(self, req: Req, who: str) -> int | None:
        if who == "support":
            return self.world.support
        if who == "other side":
            return self.other_side_admin(req)
        if who == "filer":
            with self.app.app_context():
                return db.session.get(ChangeRequest, req.id).created_by_id
        third = [t for t in self.alive_tenants() if t not in {self.alive_id(p) for p in req.parties}]
        return self.admin_of(third[0]) if third else None

    def alive_id(self, tenant: int) -> int:
        while tenant in self.merged:
            tenant = self.merged[tenant]
        return tenant

    @rule(r=st.integers(0, 9), who=st.sampled_from(["other side", "filer", "support"]))
    def refuse(self, r, who):
        self.answer(r, who, do.refuse, REJECTED, "refuse")

    @rule(r=st.integers(0, 9), approver=st.integers(0, 1),
          fee=st.sampled_from(["", "300", "800.50"]))
    def approve(self, r, approver, fee):
        req = self.pick_request(r, PENDING)
        if req is None:
            return
        before, rows = self.snapshot(), self.tenant_counts(req)
        result = do.approve(self.app, req.id, self.world.approvers[approver], fee)
        if req.status != PENDING:
            assert isinstance(result, do.Refused), f"approved a {req.status} request"
        if not isinstance(result, do.Refused) and req.kind == TAX_ISSUE:
            cents = {"": 50000, "300": 30000, "800.50": 80050}[fee]
            now = self.db_request(req.id)
            self.expect(PAID_AFTER_APPROVAL, now.fee_cents == cents,
                        f"approved request {req.id} with fee {fee or '(default)'} but its fee is "
                        f"{now.fee_cents}")
            req.fee_cents = now.fee_cents
        self.stepped_maybe_executed(req, result, {APPROVED, EXECUTED, FAILED}, "approve",
                                    before, rows)

    @rule(r=st.integers(0, 9), approver=st.integers(0, 1))
    def reject(self, r, approver):
        req = self.pick_request(r, PENDING)
        if req is None:
            return
        before = self.snapshot()
        result = do.reject(self.app, req.id, self.world.approvers[approver])
        if req.status != PENDING:
            assert isinstance(result, do.Refused), f"rejected a {req.status} request"
        self.step(req, result, {REJECTED}, "reject", before)

    @rule(r=st.integers(0, 9), approver=st.integers(0, 1))
    def mark_paid(self, r, approver):
        req = self.pick_request(r, kind=TAX_ISSUE)
        if req is None:
            return
        before, rows = self.snapshot(), self.tenant_counts(req)
        fee_before = self.db_request(req.id).fee_cents
        result = do.mark_paid(self.app, req.id, self.world.approvers[approver])
        if req.kind != TAX_ISSUE or req.status not in (PENDING, APPROVED, FAILED):
            assert isinstance(result, do.Refused), f"marked a {req.status} {req.kind} paid"
        if req.kind == TAX_ISSUE and req.status not in (APPROVED, FAILED):
            self.expect(PAID_AFTER_APPROVAL, isinstance(result, do.Refused),
                        f"request {req.id} was marked paid while {req.status}")
        if not isinstance(result, do.Refused) and fee_before is not None:
            assert self.db_request(req.id).fee_cents == fee_before, "标记已付款 changed the fee"
        allowed = {req.status, EXECUTED, FAILED} if req.status != PENDING else {PENDING}
        self.stepped_maybe_executed(req, result, allowed, "mark paid", before, rows)

    @rule(r=st.integers(0, 9), approver=st.integers(0, 1))
    def execute_again(self, r, approver):
        """重新执行, on any request: only a 执行失败 one runs again, and executes once."""
        req = self.pick_request(r, FAILED, APPROVED, EXECUTED)
        if req is None:
            return
        before, rows = self.snapshot(), self.tenant_counts(req)
        result = do.retry(self.app, req.id, self.world.approvers[approver])
        if req.status != FAILED:
            assert isinstance(result, do.Refused), f"executed a {req.status} request again"
        self.stepped_maybe_executed(req, result, {EXECUTED, FAILED}, "execute again", before, rows)

    def advance_request(self, r, fee):
        """The next step a request waits for, taken by whom it waits for: the other side's
        admin accepts, an approver approves, marks a 开票 change paid, executes a failed one."""
        req = self.pick_request(r, AWAITING, PENDING, APPROVED, FAILED)
        if req is None:
            return
        if req.status == AWAITING:
            self.accept(r=list(self.open_ids(AWAITING)).index(req.id), who="other side")
        elif req.status == PENDING:
            self.approve(r=list(self.open_ids(PENDING)).index(req.id), approver=0, fee=fee)
        elif req.status == APPROVED:
            self.mark_paid(r=list(self.open_ids(kind=TAX_ISSUE)).index(req.id), approver=1)
        else:
            self.execute_again(r=list(self.open_ids(FAILED, APPROVED, EXECUTED)).index(req.id),
                               approver=1)

    def open_ids(self, *statuses, kind=None):
        return [q.id for q in self.requests.values() if (not statuses or q.status in statuses)
                and kind in (None, q.kind)]

    # Two names for one rule: the path to execution is three steps long, so it is taken twice
    # as often as any other step.
    advance = rule(r=st.integers(0, 9), fee=st.sampled_from(["", "300"]))(advance_request)
    keep_going = rule(r=st.integers(0, 9), fee=st.sampled_from(["", "300"]))(advance_request)

    @rule(r=st.integers(0, 9), step=st.sampled_from(["accept", "refuse", "approve", "reject",
                                                       "mark paid", "execute again"]))
    def step_on_ended(self, r, step):
        """Any step on a rejected or executed request is refused and changes nothing."""
        req = self.pick_request(r, REJECTED, EXECUTED)
        if req is None:
            return
        actor = {"accept": self.world.support, "refuse": self.world.support}.get(
            step, self.world.approvers[0])
        call = {"accept": lambda: do.accept(self.app, req.id, actor),
                "refuse": lambda: do.refuse(self.app, req.id, actor),
                "approve": lambda: do.approve(self.app, req.id, actor, ""),
                "reject": lambda: do.reject(self.app, req.id, actor),
                "mark paid": lambda: do.mark_paid(self.app, req.id, actor),
                "execute again": lambda: do.retry(self.app, req.id, actor)}[step]
        before = self.snapshot()
        result = call()
        assert isinstance(result, do.Refused), f"{step} on a {req.status} request was taken"
        self.step(req, result, set(), step, before)

    # ---- execution ----

    def tenant_counts(self, req: Req):
        """Every kind of row of the two tenants of a move or merge (and a cutoff)."""
        if req.kind not in (MOVE, MERGE):
            return None
        r = self.db_request(req.id)
        cutoff = last_ids(self.app)
        return (r.source_tenant_id, r.target_tenant_id, cutoff,
                tenant_rows(self.app, r.source_tenant_id), tenant_rows(self.app, r.target_tenant_id))

    def stepped_maybe_executed(self, req: Req, result, allowed, what, before, rows) -> None:
        was = req.status
        if isinstance(result, do.Refused) or self.db_request(req.id).status != EXECUTED:
            self.step(req, result, allowed, what, before)
            return
        self.step(req, result, allowed, what, before)
        assert was != EXECUTED
        self.executed(req, before, rows)

    def executed(self, req: Req, before: dict, rows) -> None:
        """What the execution must have done, by kind; the model follows."""
        r = self.db_request(req.id)
        with self.app.app_context():
            executions = db.session.scalar(select(func.count()).select_from(RequestEvent).where(
                RequestEvent.request_id == req.id, RequestEvent.action == "executed"))
        assert executions == 1, f"request {req.id} executed {executions} times"
        if req.kind == MOVE:
            self.owner[r.tax_id] = r.target_tenant_id
            self.conserved_move(r, rows)
        elif req.kind == MERGE:
            self.conserved_merge(r, rows)
            self.merge_model(r.source_tenant_id, r.target_tenant_id)
        else:
            self.expect(REQUEST_ACTS_ON_ITS_OWN, self.owner.get(r.tax_id) == req.filer,
                        f"tenant {req.filer}'s tax ID change {req.id} executed on {r.tax_id}, "
                        f"which tenant {self.owner.get(r.tax_id)} holds now")
            with self.app.app_context():
                self.owner.setdefault(r.new_tax_id, db.session.scalar(select(
                    Enterprise.tenant_id).where(Enterprise.tax_id == r.tax_id)))
                old = db.session.get(Allocation, r.allocation_id)
                new = db.session.get(Allocation, old.replaced_by_id)
                assert old.status == "replaced" and new.status == "active"
                assert new.line_id == old.line_id and new.enterprise.tax_id == r.new_tax_id

    def conserved_move(self, r: ChangeRequest, rows) -> None:
        source, target, cutoff, src_before, tgt_before = rows
        src_after, tgt_after = (tenant_rows(self.app, source, cutoff),
                                tenant_rows(self.app, target, cutoff))
        for kind in src_before:
            total_before = src_before[kind] + tgt_before[kind]
            total_after = src_after[kind] + tgt_after[kind]
            assert total_after == total_before, f"a move changed the number of {kind} rows"
        for kind in ("requests", "audit"):
            self.expect(HISTORY_STAYS, src_after[kind] == src_before[kind],
                        f"a move took {src_before[kind] - src_after[kind]} {kind} row(s) of the "
                        f"source tenant {source} (request {r.id})")
        with self.app.app_context():
            moved = db.session.get(Enterprise, r.enterprise_id)
            assert moved.tenant_id == target
            assert all(c.tenant_id == target for c in db.session.scalars(
                select(Credential).where(Credential.enterprise_id == moved.id)))

    def conserved_merge(self, r: ChangeRequest, rows) -> None:
        source, target, cutoff, src_before, tgt_before = rows
        src_after, tgt_after = (tenant_rows(self.app, source, cutoff),
                                tenant_rows(self.app, target, cutoff))
        for kind in src_before:
            assert src_after[kind] == 0, f"a merge left {src_after[kind]} {kind} with the source"
            assert tgt_after[kind] == tgt_before[kind] + src_before[kind], \
                f"a merge changed the number of {kind} rows"

    def merge_model(self, source: int, target: int) -> None:
        self.merged[source] = target
        for tax, tenant in self.owner.items():
            if tenant == source:
                self.owner[tax] = target
        for entry, tenant in self.audit_owner.items():
            if tenant == source:
                self.audit_owner[entry] = target
        for req in self.requests.values():
            if req.filer == source:
                req.filer = target
            if source in req.parties:
                req.parties = (req.parties - {source}) | {target}

    # ---- credentials and connection checks ----

    @rule(t=st.integers(0, 2), e=st.integers(0, 7))
    def rotate(self, t, e):
        tenant = self.alive(t)
        with self.app.app_context():
            creds = list(db.session.scalars(select(Credential).where(
                Credential.tenant_id == tenant, Credential.enterprise_id.is_not(None))
                .order_by(Credential.id)))
            if not creds:
                return
            cred = creds[e % len(creds)]
            cred_id, disabled = cred.id, cred.is_disabled
        before = self.snapshot()
        result = do.rotate(self.app, tenant, self.admin_of(tenant), cred_id)
        assert isinstance(result, do.Refused) == disabled, "重置密钥 of a disabled credential"
        if disabled:
            self.assert_unchanged(before, "a refused 重置密钥")

    @rule(tax=st.sampled_from(POOL + FRESH), environment=st.sampled_from(ENVIRONMENTS))
    def connection_check(self, tax, environment):
        """The ERP's token call with the tax ID's credential of one environment, at that
        environment's address: 0000 exactly while it holds."""
        with self.app.app_context():
            enterprise = db.session.scalar(select(Enterprise).where(Enterprise.tax_id == tax))
            cred = enterprise and Credential.for_enterprise(enterprise.id, environment)
            if cred is None:
                return
            holds = self.holds(enterprise.id)
            cred_id = cred.id
        answer = do.token_request(self.client, *do.clear_credential(self.app, cred_id),
                                  environment)
        self.note(f"connection check {answer['errcode']}")
        self.expect(CREDENTIAL_FOLLOWS_HOLDINGS if holds else None,
                    (answer["errcode"] == "0000") == holds,
                    f"{tax} {'holds' if holds else 'holds no'} active allocation; its token "
                    f"request answered {answer['errcode']} {answer.get('description')}")

    @staticmethod
    def why_unusable(enterprise_id: int, creds: list) -> str | None:
        """Which known defect leaves a held tax ID without a usable credential: allocated again
        after its credential was switched off (not in the issue's list), or switched off
        while it still held another product (the issue's [1])."""
        off = [c.disabled_at for c in creds if c.is_disabled and c.disabled_at]
        later = off and db.session.scalar(select(func.count()).select_from(Allocation).where(
            Allocation.enterprise_id == enterprise_id, Allocation.status == "active",
            Allocation.allocated_at > max(off)))
        return REALLOCATED_KEEPS_DISABLED if later else CREDENTIAL_FOLLOWS_HOLDINGS

    @staticmethod
    def holds(enterprise_id: int) -> bool:
        return db.session.scalar(select(func.count()).select_from(Allocation).where(
            Allocation.enterprise_id == enterprise_id, Allocation.status == "active")) > 0

    # ---- invariants ----

    @invariant()
    def every_invariant(self):
        """Every invariant, after every step (one line in a printed sequence)."""
        self.quotas()
        self.credentials_follow_holdings()
        self.ownership()
        self.requests_and_history_stay_with_their_tenant()
        self.requests_as_modelled()

    def snapshot(self) -> dict:
        with self.app.app_context():
            return business_rows()

    def assert_unchanged(self, before: dict, what: str, but: int | None = None) -> None:
        after = self.snapshot()
        if but is not None:
            before, after = without_request(before, but), without_request(after, but)
        changed = [k for k in before if before[k] != after[k]]
        assert not changed, f"{what} changed {changed}: {before} → {after}"

    def quotas(self):
        """Per order line: allocated = number of active allocations ≤ quantity."""
        with self.app.app_context():
            active = func.count(Allocation.id).filter(Allocation.status == "active")
            for line_id, quantity, allocated, n in db.session.execute(
                    select(OrderLine.id, OrderLine.quantity, OrderLine.allocated, active)
                    .outerjoin(Allocation, Allocation.line_id == OrderLine.id)
                    .group_by(OrderLine.id, OrderLine.quantity, OrderLine.allocated)):
                assert allocated == n <= quantity, f"line {line_id}: {allocated}, {n}, {quantity}"

    def credentials_follow_holdings(self):
        """A held tax ID has exactly one usable 企业授权 per environment (测试环境, 正式环境), whose
        token request answers 0000 at its own environment's address and 1010 at the other's;
        an unheld one has none usable."""
        checks = []
        with self.app.app_context():
            holders = set(db.session.scalars(select(Allocation.enterprise_id).where(
                Allocation.status == "active")))
            for enterprise in db.session.scalars(select(Enterprise).order_by(Enterprise.id)):
                creds = list(db.session.scalars(select(Credential).where(
                    Credential.enterprise_id == enterprise.id)))
                assert all(c.tenant_id == enterprise.tenant_id for c in creds), \
                    f"{enterprise.tax_id}'s credential is another tenant's"
                for environment in ENVIRONMENTS:
                    mine = [c for c in creds if c.environment == environment]
                    usable = [c for c in mine if not c.is_disabled]
                    if enterprise.id not in holders:
                        assert not usable, f"{enterprise.tax_id} holds nothing but has a " \
                                           f"usable {environment} credential"
                        continue
                    self.expect(self.why_unusable(enterprise.id, mine), len(usable) == 1,
                                f"{enterprise.tax_id} holds an active allocation but has "
                                f"{len(usable)} usable {environment} credential(s)")
                    if usable and (usable[0].id, usable[0].client_secret_enc) not in self.verified:
                        checks.append((enterprise.tax_id, environment, usable[0].id,
                                       usable[0].client_secret_enc))
        for tax, environment, cred_id, secret_enc in checks:
            values = do.clear_credential(self.app, cred_id)
            answer = do.token_request(self.client, *values, environment)
            assert answer["errcode"] == "0000", f"{tax} ({environment}): {answer}"
            other = "production" if environment == "test" else "test"
            answer = do.token_request(self.client, *values, other)
            assert answer["errcode"] == "1010", f"{tax} ({environment} at {other}): {answer}"
            self.verified.add((cred_id, secret_enc))

    def ownership(self):
        """Each enterprise is with the tenant the model says; each tenant's lists name only its
        own enterprises, and those listing allocated tax IDs exactly those holding one."""
        with self.app.app_context():
            found = {e.tax_id: e.tenant_id for e in db.session.scalars(select(Enterprise))}
            assert found == self.owner, f"enterprises {found} but the model says {self.owner}"
            ids = {e.id: e for e in db.session.scalars(select(Enterprise))}
            holders = set(db.session.scalars(select(Allocation.enterprise_id).where(
                Allocation.status == "active")))
            for tenant in self.alive_tenants():
                own = {i for i, e in ids.items() if e.tenant_id == tenant}
                held = own & holders
                listed = do.enterprise_list(tenant)
                assert listed == own, f"企业管理 of {tenant}: {listed} ≠ {own}"
                assert do.panel_rows(tenant) <= own, "a 去分配 panel names another's enterprise"
                creds = do.credential_list(tenant)
                assert set(creds) <= own, "授权信息 names another tenant's enterprise"
                entitled = do.entitlement_list(tenant)
                assert set(entitled) <= own, "权益查询 names another tenant's enterprise"
                assert {i for i, products in entitled.items() if products} == held, \
                    f"权益查询 of {tenant} lists holdings of {entitled}, active: {held}"
                self.expect(LISTS_FOLLOW_HOLDINGS, set(creds) == held,
                            f"授权信息 of tenant {tenant} lists {sorted(set(creds))}, but only "
                            f"{sorted(held)} hold an active allocation")
                self.expect(LISTS_FOLLOW_HOLDINGS,
                            all(set(creds[i]) == set(entitled[i]) for i in set(creds) & held),
                            f"授权信息 of tenant {tenant} names products {creds}; 权益查询 {entitled}")
                counted = do.home_counts(tenant)
                self.expect(LISTS_FOLLOW_HOLDINGS, counted == len(held),
                            f"the home of tenant {tenant} counts {counted} allocated tax IDs, "
                            f"{len(held)} hold one")

    def requests_and_history_stay_with_their_tenant(self):
        """我的申请 lists what the tenant filed (or inherited by a merge) and what it is party
        to, nothing else; its audit log lists only entries written for it."""
        self._learn_audit()
        admins = {tenant: self.admin_of(tenant) for tenant in self.alive_tenants()}
        with self.app.app_context():
            for tenant, admin in admins.items():
                listed = do.request_list(tenant)
                mine = {q.id for q in self.requests.values() if q.filer == tenant}
                party = {q.id for q in self.requests.values()
                         if tenant in {self.alive_id(p) for p in q.parties}}
                self.expect(HISTORY_STAYS, mine <= listed,
                            f"我的申请 of tenant {tenant} lacks its requests {sorted(mine - listed)}")
                self.expect(HISTORY_STAYS, listed <= mine | party,
                            f"我的申请 of tenant {tenant} lists others' requests "
                            f"{sorted(listed - mine - party)}")
                for q in self.requests.values():
                    seen = do.request_visible(q.id, admin)
                    assert seen == (q.id in listed), f"request {q.id}: page {seen}, list"
                log = do.audit_log(tenant)
                foreign = sorted(i for i in log if self.audit_owner.get(i) != tenant)
                self.expect(HISTORY_STAYS, not foreign,
                            f"the audit log of tenant {tenant} lists entries written for others: "
                            f"{[(i, self.audit_owner.get(i)) for i in foreign]}")

    def requests_as_modelled(self):
        """Each request is in the state its own steps left it in; an executed one executed
        once, nothing else ever did."""
        with self.app.app_context():
            states = dict(db.session.execute(select(ChangeRequest.id, ChangeRequest.status)).all())
            runs = dict(db.session.execute(
                select(RequestEvent.request_id, func.count()).where(RequestEvent.action == "executed")
                .group_by(RequestEvent.request_id)).all())
        assert states == {q.id: q.status for q in self.requests.values()}
        for request_id, n in runs.items():
            assert n == 1 and states[request_id] == EXECUTED, f"request {request_id} ran {n}×"


def model_settings(examples: int = EXAMPLES, steps: int = STEPS):
    return settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                    database=None, derandomize=not RANDOM, print_blob=False,
                    suppress_health_check=list(HealthCheck),
                    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])


CONFIG = dict(HOLDER_PROBE_LIMIT=10**6, MOVE_LOOKUP_LIMIT=10**6, GOLIVE_TOKEN_LIMIT=10**6,
              GOLIVE_FAILURE_LIMIT=10**6)


def replay(steps) -> ModelMachine:
    """Run a printed sequence: [(rule name, kwargs)], checking the invariants after each."""
    machine = ModelMachine()
    machine.holdings()
    machine.every_invariant()
    for name, kwargs in steps:
        getattr(machine, name)(**kwargs)
        if os.environ.get("MODEL_TRACE"):
            with machine.app.app_context():
                print(name, kwargs, {q.id: (q.kind, q.status) for q in machine.requests.values()},
                      business_rows()["credentials"], business_rows()["allocations"])
        machine.every_invariant()
    return machine


def defect_replay(defect: str, steps) -> None:
    """Replay a minimal sequence with only `defect`'s check enforced."""
    ModelMachine.enforced = frozenset({defect})
    replay(steps)
