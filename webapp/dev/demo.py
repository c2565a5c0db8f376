"""The demo `make run` serves: staff accounts and a delivered order waiting in the mailbox."""
from flask import current_app
from sqlalchemy import select

from webapp.auth import service as accounts
from webapp.extensions import db
from webapp.models import Order, RegistryCompany, User
from webapp.orders import service as orders
from webapp.registry import service as registry

DEMO_PASSWORD = "demo-pass-2026"
DEMO_STAFF = [("support@demo.local", "support"), ("approver@demo.local", "approver"),
              ("ops@demo.local", "ops")]
DEMO_REGISTRY_SIZE = 3000
DEMO_ORDER = dict(order_no="DEMO-0001", customer="苏州示例科技有限公司",  # i18n: data (a demo customer)
                  contact_email="contact@demo.local", sales="王销售")


def seed() -> list[str]:
    """Create what is missing of the demo; returns lines telling what to click."""
    for email, role in DEMO_STAFF:
        if not db.session.scalar(select(User.id).where(User.email == email)):
            accounts.create_staff(email, role, DEMO_PASSWORD, actor_label="demo")
    if not db.session.scalar(select(Order.id).where(Order.order_no == DEMO_ORDER["order_no"])):
        order = orders.create_order(
            lines=[("issue", 3), ("receive", 2), ("image", 1), ("archive", 1)],
            actor_label="demo", **DEMO_ORDER)
        orders.deliver(order, actor_label="demo")
    if not db.session.scalar(select(RegistryCompany.id).limit(1)):
        # Synthetic 工商 data, so typing a name in 新增企业 finds companies to autofill.
        registry.generate_demo(DEMO_REGISTRY_SIZE, seed=1)
    return [  # i18n: data (printed to the terminal by `demo seed`)
        "Demo ready.",
        f"  1. Open {current_app.config['PUBLIC_BASE_URL']}/dev/mailbox and open the activation"
        " email of DEMO-0001.",
        "  2. Click its link, paste its 操作密钥, choose ERP and 部署方式, 【确认】, set a password.",
        "  3. 【去配置】 → 新增企业 (type 2+ characters of a name, e.g. 苏州, to autofill) → 分配权益.",
        f"  Staff logins (password {DEMO_PASSWORD}): "
        + ", ".join(f"{email} ({role})" for email, role in DEMO_STAFF),
    ]
