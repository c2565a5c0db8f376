"""outbox_email.message_id; import_preview (bulk-import previews in the database); daily_job_run

Revision ID: 0011
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=200), nullable=True))
    # Rows queued before this revision get an id of their own (their domain is unknown here).
    op.execute("UPDATE outbox_email SET message_id = '<outbox-' || CAST(id AS VARCHAR(20))"
               " || '@localhost>' WHERE message_id IS NULL")
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.alter_column("message_id", existing_type=sa.String(length=200), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_outbox_email_message_id"), ["message_id"])

    op.create_table(
        "import_preview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("rows_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE",
                                name=op.f("fk_import_preview_tenant_id_tenant")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE",
                                name=op.f("fk_import_preview_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_preview")),
        sa.UniqueConstraint("token", name=op.f("uq_import_preview_token")),
    )
    op.create_index(op.f("ix_import_preview_tenant_id"), "import_preview", ["tenant_id"])
    op.create_index(op.f("ix_import_preview_expires_at"), "import_preview", ["expires_at"])

    op.create_table(
        "daily_job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_job_run")),
        sa.UniqueConstraint("job", "day", name=op.f("uq_daily_job_run_job_day")),
    )


def downgrade():
    op.drop_table("daily_job_run")
    op.drop_index(op.f("ix_import_preview_expires_at"), table_name="import_preview")
    op.drop_index(op.f("ix_import_preview_tenant_id"), table_name="import_preview")
    op.drop_table("import_preview")
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outbox_email_message_id"), type_="unique")
        batch_op.drop_column("message_id")
