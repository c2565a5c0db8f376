"""智能审批: request lifecycle (待对方确认 … 执行失败), previews, fees; allocation and credential
history (已替换, 已停用); tenants merged into another

Revision ID: 0012
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('pending', 'rejected', 'approved', 'executed')"
STATUSES = "status IN ('awaiting', 'pending', 'rejected', 'approved', 'executed', 'failed')"
TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "request_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("content_type IN ('application/pdf', 'image/png', 'image/jpeg')",
                           name=op.f("ck_request_attachment_type_known")),
        sa.ForeignKeyConstraint(["request_id"], ["change_request.id"],
                                name=op.f("fk_request_attachment_request_id_change_request")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user.id"],
                                name=op.f("fk_request_attachment_uploaded_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_attachment")),
    )
    op.create_index(op.f("ix_request_attachment_request_id"), "request_attachment", ["request_id"],
                    unique=False)
    with op.batch_alter_table("change_request", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_change_request_status_known"), type_="check")
        batch_op.create_check_constraint("status_known", STATUSES)
        batch_op.add_column(sa.Column("allocation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("new_enterprise_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("change_case", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("new_info", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("preview", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("preview_at_execution", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("restart_validity", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("fee_paid_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("payment_ref", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", TS, nullable=True))
        batch_op.add_column(sa.Column("executed_at", TS, nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_change_request_allocation_id_allocation"),
                                    "allocation", ["allocation_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_change_request_new_enterprise_id_enterprise"),
                                    "enterprise", ["new_enterprise_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_change_request_fee_paid_by_id_user"),
                                    "user", ["fee_paid_by_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_change_request_decided_by_id_user"),
                                    "user", ["decided_by_id"], ["id"])
        batch_op.create_index("ix_change_request_status_id", ["status", "id"], unique=False)
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=10), nullable=False,
                                      server_default="active"))
        batch_op.add_column(sa.Column("replaced_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("valid_until", sa.Date(), nullable=True))
        batch_op.create_check_constraint("status_known", "status IN ('active', 'replaced')")
        batch_op.create_foreign_key(batch_op.f("fk_allocation_replaced_by_id_allocation"),
                                    "allocation", ["replaced_by_id"], ["id"])
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=10), nullable=False,
                                      server_default="active"))
        batch_op.create_check_constraint("status_known", "status IN ('active', 'disabled')")
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("merged_at", TS, nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_tenant_merged_into_id_tenant"),
                                    "tenant", ["merged_into_id"], ["id"])


def downgrade():
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tenant_merged_into_id_tenant"), type_="foreignkey")
        batch_op.drop_column("merged_at")
        batch_op.drop_column("merged_into_id")
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_credential_status_known"), type_="check")
        batch_op.drop_column("status")
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_allocation_replaced_by_id_allocation"),
                                 type_="foreignkey")
        batch_op.drop_constraint(op.f("ck_allocation_status_known"), type_="check")
        for column in ("valid_until", "valid_from", "replaced_by_id", "status"):
            batch_op.drop_column(column)
    with op.batch_alter_table("change_request", schema=None) as batch_op:
        batch_op.drop_index("ix_change_request_status_id")
        for fk in ("decided_by_id_user", "fee_paid_by_id_user", "new_enterprise_id_enterprise",
                   "allocation_id_allocation"):
            batch_op.drop_constraint(op.f(f"fk_change_request_{fk}"), type_="foreignkey")
        for column in ("executed_at", "decided_at", "decided_by_id", "payment_ref",
                       "fee_paid_by_id", "restart_validity", "error", "preview_at_execution",
                       "preview", "new_info", "change_case", "new_enterprise_id", "allocation_id"):
            batch_op.drop_column(column)
        batch_op.drop_constraint(op.f("ck_change_request_status_known"), type_="check")
        batch_op.create_check_constraint("status_known", OLD_STATUSES)
    op.drop_index(op.f("ix_request_attachment_request_id"), table_name="request_attachment")
    op.drop_table("request_attachment")
