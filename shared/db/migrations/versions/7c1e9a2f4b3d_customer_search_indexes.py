"""customer search from indexes: `GET /customers?q=` matches a substring of the name case-insensitively, which
a b-tree cannot answer and pg_trgm's GIN index can (PostgreSQL); and an account's last 4 digits.

Revision ID: 7c1e9a2f4b3d
Revises: 2bd583c1c7d3
Create Date: 2026-11-25 19:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7c1e9a2f4b3d"
down_revision: str | Sequence[str] | None = "2bd583c1c7d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_accounts_organization_id_account_last_4",
        "accounts",
        ["organization_id", "account_last_4"],
        unique=False,
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_customers_name_trigram ON customers USING gin (lower((name)::text) gin_trgm_ops)"
    )


def downgrade() -> None:
    op.drop_index("ix_accounts_organization_id_account_last_4", table_name="accounts")
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_customers_name_trigram")
