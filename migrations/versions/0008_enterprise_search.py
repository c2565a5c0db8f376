"""enterprise search: pg_trgm on the name, a pattern index on the tax ID (PostgreSQL only).

The 企业名称 or 税号 search (webapp/enterprises/search.py) is `name ILIKE '%q%' OR tax_id LIKE
'Q%'` on PostgreSQL. The GIN trigram index serves the ILIKE for 3+ characters (the same
expression and operator class as the registry's, 0003); varchar_pattern_ops lets the tax ID
prefix use a B-tree whatever the database collation, so the planner can BitmapOr the two.
SQLite keeps a plain LIKE over the tenant's rows (ix_enterprise_tenant_name).

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

POSTGRES_UP = [
    # 0003 created the extension already; repeated so this migration stands on its own.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_enterprise_name_trgm ON enterprise USING gin (name gin_trgm_ops)",
    "CREATE INDEX ix_enterprise_tax_id_pattern ON enterprise (tax_id varchar_pattern_ops)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_enterprise_tax_id_pattern",
    "DROP INDEX IF EXISTS ix_enterprise_name_trgm",
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_UP:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_DOWN:
            op.execute(statement)
