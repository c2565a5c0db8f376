"""The operations commands: bad input exits non-zero with a clear message and writes nothing."""
import pytest
from factories import count, login

from webapp.models import AuditEntry, Order, OrderLine, OutboxEmail, User


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(*args, input=None):
        return runner.invoke(args=list(args), input=input)

    return invoke


def test_create_and_deliver_an_order(app, run):
    result = run("orders", "create", "--order-no", "SO-1", "--customer", "苏州示例科技有限公司",
                 "--email", "A@Example.com", "--line", "issue=3", "--line", "receive=2",
                 "--valid-until", "2099-12-31", "--sales", "王销售")
    assert result.exit_code == 0, result.output
    assert count(app, Order) == 1 and count(app, OrderLine) == 2
    assert count(app, OutboxEmail) == 0
    result = run("orders", "deliver", "SO-1")
    assert result.exit_code == 0, result.output
    assert "a@example.com" in result.output
    assert count(app, OutboxEmail, OutboxEmail.kind == "activation") == 1
    assert run("orders", "deliver", "SO-1").exit_code != 0  # already delivered
    assert count(app, OutboxEmail) == 1


def test_create_delivered(app, run):
    result = run("orders", "create", "--order-no", "SO-2", "--customer", "某公司", "--email",
                 "b@example.com", "--line", "image=1", "--delivered")
    assert result.exit_code == 0, result.output
    assert count(app, OutboxEmail, OutboxEmail.kind == "activation") == 1
    assert count(app, AuditEntry, AuditEntry.action == "order.delivered") == 1


@pytest.mark.parametrize("args, message", [
    (["--line", "nosuch=1"], "未知产品"),
    (["--line", "issue=0"], "数量必须大于 0"),
    (["--line", "issue=-2"], "数量必须大于 0"),
    (["--line", "issue=abc"], "整数"),
    (["--line", "issue"], "产品=数量"),
    (["--line", "issue=1", "--line", "issue=2"], "重复"),
    (["--line", "issue=1", "--valid-until", "2001-01-01"], "有效期"),
])
def test_bad_lines_write_nothing(app, run, args, message):
    result = run("orders", "create", "--order-no", "SO-9", "--customer", "某公司", "--email",
                 "c@example.com", "--delivered", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert count(app, Order) == 0 and count(app, OutboxEmail) == 0


@pytest.mark.parametrize("field, value, message", [
    ("--email", "not-an-email", "邮箱地址无效"),
    ("--email", "a@b", "邮箱地址无效"),
    ("--order-no", "SO 1; drop", "订单号只能包含"),
    ("--customer", "x" * 201, "200"),
])
def test_bad_fields_write_nothing(app, run, field, value, message):
    base = {"--order-no": "SO-8", "--customer": "某公司", "--email": "d@example.com"}
    base[field] = value
    args = [item for pair in base.items() for item in pair]
    result = run("orders", "create", *args, "--line", "issue=1", "--delivered")
    assert result.exit_code != 0 and message in result.output
    assert count(app, Order) == 0


def test_duplicate_order_number(app, run):
    args = ["orders", "create", "--order-no", "SO-7", "--customer", "某公司", "--email",
            "e@example.com", "--line", "issue=1"]
    assert run(*args).exit_code == 0
    result = run(*args)
    assert result.exit_code != 0 and "已存在" in result.output
    assert count(app, Order) == 1


def test_deliver_unknown_order(run):
    result = run("orders", "deliver", "NOPE")
    assert result.exit_code != 0 and "不存在" in result.output


def test_users_create_reads_password_from_stdin(app, run, client):
    result = run("users", "create", "--email", "Agent@Staff.test", "--role", "support",
                 input="staff-pass-1\n")
    assert result.exit_code == 0, result.output
    login(client, "agent@staff.test", "staff-pass-1")
    assert "客服" in client.get("/home").get_data(as_text=True)


def test_users_create_refuses_weak_password_and_duplicates(app, run):
    assert run("users", "create", "--email", "x@staff.test", "--role", "ops",
               input="short\n").exit_code != 0
    assert count(app, User) == 0
    assert run("users", "create", "--email", "x@staff.test", "--role", "ops",
               input="long-enough-1\n").exit_code == 0
    result = run("users", "create", "--email", "x@staff.test", "--role", "approver",
                 input="long-enough-1\n")
    assert result.exit_code != 0 and "已存在" in result.output
    result = run("users", "create", "--email", "y@staff.test", "--role", "tenant_admin",
                 input="long-enough-1\n")
    assert result.exit_code != 0
    assert count(app, User) == 1


def test_outbox_send_without_mail_server_keeps_mail(app, run, make_order):
    make_order()
    result = run("outbox", "send")
    assert result.exit_code == 0 and "sent 0" in result.output
    assert count(app, OutboxEmail, OutboxEmail.status == "pending") == 1


def test_demo_seed_is_idempotent(app, run):
    assert run("demo", "seed").exit_code == 0
    assert run("demo", "seed").exit_code == 0
    assert count(app, Order) == 1 and count(app, User) == 3
    assert count(app, OutboxEmail) == 1
    from webapp.dev.demo import DEMO_REGISTRY_SIZE
    from webapp.models import RegistryCompany

    assert count(app, RegistryCompany) == DEMO_REGISTRY_SIZE
    with app.app_context():
        from webapp.registry import service as registry

        assert len(registry.suggest("苏州")) == 10  # the demo's autofill finds companies
