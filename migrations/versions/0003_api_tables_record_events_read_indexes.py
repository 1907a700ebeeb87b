"""API tables under Alembic; record_events (provenance index); read indexes and columns for the
API's projection reads; the API's old JSON expression indexes on raw_events dropped.

Mirrors made before 0003 keep their projection rows, but the new columns (``*_tx``,
``attached_block``, ``ill_loans``, ``closed_at``) are NULL in them and ``record_events`` is empty:
rebuild the projections from raw_events once (``libledger mirror rebuild``). ``api_tokens`` and
``api_work_catalogue`` made earlier by the API's ``create_all`` are adopted as they are.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ledger.mirror.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

#: JSON expression indexes api.tokens.ensure_schema used to create on raw_events (not Alembic's).
OLD_API_INDEXES = (
    "ix_api_raw_events_workid", "ix_api_raw_events_contenthash", "ix_api_raw_events_publisher", "ix_api_raw_events_termsid",
    "ix_api_raw_events_licenceid", "ix_api_raw_events_loanid", "ix_api_raw_events_requestid", "ix_api_raw_events_periodid",
    "ix_api_raw_events_holder", "ix_api_raw_events_library", "ix_api_raw_events_requester", "ix_api_raw_events_supplier",
    "ix_api_raw_events_account", "ix_api_raw_events_event", "ix_api_raw_events_tx",
)

def _new_columns() -> tuple[tuple[str, sa.Column], ...]:
    return (
        ('licence_terms', sa.Column('published_tx', sa.String(length=66), nullable=True)),
        ('work_offers', sa.Column('attached_block', sa.BigInteger(), nullable=True)),
        ('licences', sa.Column('ill_loans', sa.BigInteger(), nullable=True)),
        ('licences', sa.Column('acquired_tx', sa.String(length=66), nullable=True)),
        ('digital_loans', sa.Column('checked_out_tx', sa.String(length=66), nullable=True)),
        ('digital_loans', sa.Column('closed_at', sa.BigInteger(), nullable=True)),
        ('ill_requests', sa.Column('requested_tx', sa.String(length=66), nullable=True)),
    )


NEW_INDEXES = (
    ('raw_events', 'ix_raw_events_tx_hash', ['tx_hash']),
    ('works', 'ix_works_holder_work', ['holder', 'work_id']),
    ('licences', 'ix_licences_holder_licence', ['holder', 'licence_id']),
    ('licences', 'ix_licences_work_licence', ['work_id', 'licence_id']),
    ('digital_loans', 'ix_digital_loans_library_loan', ['library', 'loan_id']),
    ('digital_loans', 'ix_digital_loans_licence_loan', ['licence_id', 'loan_id']),
    ('ill_requests', 'ix_ill_requests_requested', ['requested_block', 'request_id']),
    ('ill_requests', 'ix_ill_requests_requester_requested', ['requester', 'requested_block', 'request_id']),
    ('ill_requests', 'ix_ill_requests_supplier_requested', ['supplier', 'requested_block', 'request_id']),
    ('ill_transitions', 'ix_ill_transitions_forward_to', ['forward_to']),
    ('clearing_charges', 'ix_clearing_charges_period', ['period_id']),
)


def upgrade() -> None:
    for name in OLD_API_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")

    op.create_table('record_events',
    sa.Column('record_kind', sa.String(length=16), nullable=False),
    sa.Column('record_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('block_number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('log_index', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('record_kind', 'record_id', 'block_number', 'log_index', name=op.f('pk_record_events'))
    )
    for table, column in _new_columns():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(column)
    for table, name, cols in NEW_INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, cols, unique=False)

    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if 'api_tokens' not in existing:
        op.create_table('api_tokens',
        sa.Column('id', sa.String(length=16), nullable=False),
        sa.Column('token_sha256', sa.String(length=64), nullable=False),
        sa.Column('member', sa.String(length=128), nullable=False),
        sa.Column('account', sa.String(length=42), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('revoked_at', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens'))
        )
        with op.batch_alter_table('api_tokens', schema=None) as batch_op:
            batch_op.create_index('ix_api_tokens_member', ['member'], unique=False)
    if 'api_work_catalogue' not in existing:
        op.create_table('api_work_catalogue',
        sa.Column('work_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('title_key', sa.String(length=512), nullable=False),
        sa.PrimaryKeyConstraint('work_id', name=op.f('pk_api_work_catalogue'))
        )
        with op.batch_alter_table('api_work_catalogue', schema=None) as batch_op:
            batch_op.create_index('ix_api_work_catalogue_title', ['title_key'], unique=False)


def downgrade() -> None:
    op.drop_table('api_work_catalogue')
    op.drop_table('api_tokens')
    for table, name, _cols in reversed(NEW_INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
    for table, column in reversed(_new_columns()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column.name)
    op.drop_table('record_events')
