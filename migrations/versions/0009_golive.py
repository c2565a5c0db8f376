"""go-live: connection-check tokens and outcomes; previous secret and 已停用 on credentials

Revision ID: 0009
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("credential") as batch:
        batch.add_column(sa.Column("previous_secret_enc", sa.Text(), nullable=True))
        batch.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "check_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("sign_hash", sa.String(length=64), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["credential_id"], ["credential.id"], ondelete="CASCADE",
                                name=op.f("fk_check_token_credential_id_credential")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_check_token_token_hash")),
        sa.UniqueConstraint("sign_hash", name=op.f("uq_check_token_sign_hash")),
    )
    op.create_index("ix_check_token_credential_created", "check_token", ["credential_id", "created_at"])
    op.create_index("ix_check_token_ip_created", "check_token", ["ip", "created_at"])
    op.create_index(op.f("ix_check_token_expires_at"), "check_token", ["expires_at"])
    op.create_table(
        "connection_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_ip", sa.String(length=64), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure_code", sa.String(length=10), nullable=True),
        sa.Column("failure_message", sa.Text(), nullable=True),
        sa.Column("failure_ip", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["credential_id"], ["credential.id"], ondelete="CASCADE",
                                name=op.f("fk_connection_check_credential_id_credential")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection_check")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_connection_check_credential_id")),
    )


def downgrade():
    op.drop_table("connection_check")
    op.drop_index(op.f("ix_check_token_expires_at"), table_name="check_token")
    op.drop_index("ix_check_token_ip_created", table_name="check_token")
    op.drop_index("ix_check_token_credential_created", table_name="check_token")
    op.drop_table("check_token")
    with op.batch_alter_table("credential") as batch:
        batch.drop_column("disabled_at")
        batch.drop_column("previous_secret_enc")
