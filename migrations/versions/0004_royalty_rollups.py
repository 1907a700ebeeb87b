"""royalty_rollups: accruals summed per (UTC month, account, work, kind); index on accrual time

Revision ID: 0004
Revises: 0002 (the integrator re-chains it after 0003)
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ledger.mirror.types
from ledger.mirror.rollups import fill_rollups


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('royalty_rollups',
    sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('account', sa.String(length=42), nullable=False),
    sa.Column('work_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('net', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('gross', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('accruals', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'account', 'work_id', 'kind', name=op.f('pk_royalty_rollups'))
    )
    with op.batch_alter_table('royalty_accruals', schema=None) as batch_op:
        batch_op.create_index('ix_royalty_accruals_block_timestamp', ['block_timestamp'], unique=False)
    # a mirror indexed before this revision: sum its accruals once
    fill_rollups(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('royalty_accruals', schema=None) as batch_op:
        batch_op.drop_index('ix_royalty_accruals_block_timestamp')

    op.drop_table('royalty_rollups')
