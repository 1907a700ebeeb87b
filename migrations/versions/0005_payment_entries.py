"""payment_entries: the Royalties payment logs' amounts as typed chain data, back-filled

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ledger.mirror.types
from ledger.mirror.entries import backfill_entries


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment_entries',
    sa.Column('block_number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('log_index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('block_timestamp', sa.BigInteger(), nullable=False),
    sa.Column('account', sa.String(length=42), nullable=False),
    sa.Column('work_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('net', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('gross', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index', 'seq', name=op.f('pk_payment_entries'))
    )
    # a mirror indexed before this revision: derive the entries of its raw payment events once
    backfill_entries(op.get_bind())
    # after the back-fill: one index build instead of one insert per row
    with op.batch_alter_table('payment_entries', schema=None) as batch_op:
        batch_op.create_index('ix_payment_entries_block_timestamp', ['block_timestamp'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('payment_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_entries_block_timestamp')

    op.drop_table('payment_entries')
