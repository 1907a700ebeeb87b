"""chain data, Consortium and Credit projections

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ledger.mirror.types
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('blocks',
    sa.Column('number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.String(length=66), nullable=False),
    sa.Column('parent_hash', sa.String(length=66), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_blocks'))
    )
    op.create_table('checkpoint',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('chain_id', sa.BigInteger(), nullable=False),
    sa.Column('genesis_hash', sa.String(length=66), nullable=False),
    sa.Column('consortium_address', sa.String(length=42), nullable=False),
    sa.Column('deploy_block', sa.BigInteger(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('block_hash', sa.String(length=66), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkpoint'))
    )
    op.create_table('contract_settings',
    sa.Column('contract', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=256), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('contract', 'name', name=op.f('pk_contract_settings'))
    )
    op.create_table('credit_allowances',
    sa.Column('owner', sa.String(length=42), nullable=False),
    sa.Column('spender', sa.String(length=42), nullable=False),
    sa.Column('value', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('owner', 'spender', name=op.f('pk_credit_allowances'))
    )
    op.create_table('credit_balances',
    sa.Column('account', sa.String(length=42), nullable=False),
    sa.Column('balance', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('account', name=op.f('pk_credit_balances'))
    )
    op.create_table('indexer_lock',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('owner', sa.String(length=128), nullable=True),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indexer_lock'))
    )
    op.create_table('member_roles',
    sa.Column('account', sa.String(length=42), nullable=False),
    sa.Column('role', sa.String(length=66), nullable=False),
    sa.Column('role_name', sa.String(length=32), nullable=False),
    sa.Column('granted_by', sa.String(length=42), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('account', 'role', name=op.f('pk_member_roles'))
    )
    op.create_table('members',
    sa.Column('account', sa.String(length=42), nullable=False),
    sa.Column('institution_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('suspended_reason', sa.String(length=128), nullable=True),
    sa.Column('x25519_public_key', sa.String(length=66), nullable=True),
    sa.Column('admitted_block', sa.BigInteger(), nullable=False),
    sa.Column('admitted_at', sa.BigInteger(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('account', name=op.f('pk_members'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_institution_id'), ['institution_id'], unique=False)

    op.create_table('raw_events',
    sa.Column('block_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('tx_index', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=42), nullable=False),
    sa.Column('contract', sa.String(length=64), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=True),
    sa.Column('args', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('topics', sa.Text(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('block_hash', 'log_index', name=op.f('pk_raw_events'))
    )
    with op.batch_alter_table('raw_events', schema=None) as batch_op:
        batch_op.create_index('ix_raw_events_block', ['block_number', 'log_index'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('raw_events', schema=None) as batch_op:
        batch_op.drop_index('ix_raw_events_block')

    op.drop_table('raw_events')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_institution_id'))

    op.drop_table('members')
    op.drop_table('member_roles')
    op.drop_table('indexer_lock')
    op.drop_table('credit_balances')
    op.drop_table('credit_allowances')
    op.drop_table('contract_settings')
    op.drop_table('checkpoint')
    op.drop_table('blocks')
