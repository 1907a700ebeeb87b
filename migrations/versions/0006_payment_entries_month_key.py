"""payment_entries: UTC month column, back-filled, and a key-ordered covering index per month

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

The payouts' raw leg sums a month's entries per (account, work, kind). With the index
(month, account, work_id, kind) INCLUDE (block_timestamp, net, gross) PostgreSQL reads them as
an index-only scan in key order into a streaming GROUP BY instead of hashing ~10M entries into
~300k groups. Index-only scans need the visibility map of the table's pages set by VACUUM: the
table is insert-only, so autovacuum is told to visit it after 1% new rows instead of 20%.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

PG_MONTH = (
    "(EXTRACT(YEAR FROM to_timestamp(block_timestamp) AT TIME ZONE 'UTC') * 100"
    " + EXTRACT(MONTH FROM to_timestamp(block_timestamp) AT TIME ZONE 'UTC'))::integer"
)
SQLITE_MONTH = "CAST(strftime('%Y%m', block_timestamp, 'unixepoch') AS INTEGER)"


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    with op.batch_alter_table('payment_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('month', sa.Integer(), nullable=True))
    # entries mirrored before this revision: their UTC month from the block timestamp they carry
    op.execute(f"UPDATE payment_entries SET month = {PG_MONTH if pg else SQLITE_MONTH}")
    with op.batch_alter_table('payment_entries', schema=None) as batch_op:
        batch_op.alter_column('month', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index('ix_payment_entries_month_key', ['month', 'account', 'work_id', 'kind'], unique=False,
                              postgresql_include=['block_timestamp', 'net', 'gross'])
    if pg:
        op.execute("ALTER TABLE payment_entries SET (autovacuum_vacuum_insert_scale_factor = 0.01)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE payment_entries RESET (autovacuum_vacuum_insert_scale_factor)")
    with op.batch_alter_table('payment_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_entries_month_key')
        batch_op.drop_column('month')
