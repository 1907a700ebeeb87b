"""projections: Works, Licensing, Lending, InterlibraryLoan, Royalties, Clearing, SubsidyPools, Attestations

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ledger.mirror.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attestations',
    sa.Column('attestation_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('auditor', sa.String(length=42), nullable=False),
    sa.Column('subject_kind', sa.String(length=16), nullable=False),
    sa.Column('subject_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('report_hash', sa.String(length=66), nullable=False),
    sa.Column('report_uri', sa.String(length=256), nullable=False),
    sa.Column('anchored_at', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('attestation_id', name=op.f('pk_attestations'))
    )
    with op.batch_alter_table('attestations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attestations_auditor'), ['auditor'], unique=False)
        batch_op.create_index(batch_op.f('ix_attestations_report_hash'), ['report_hash'], unique=False)

    op.create_table('clearing_charges',
    sa.Column('block_number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('log_index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('block_timestamp', sa.BigInteger(), nullable=False),
    sa.Column('period_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('request_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('debtor', sa.String(length=42), nullable=False),
    sa.Column('creditor', sa.String(length=42), nullable=False),
    sa.Column('amount', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('debtor_net', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('creditor_net', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index', name=op.f('pk_clearing_charges'))
    )
    with op.batch_alter_table('clearing_charges', schema=None) as batch_op:
        batch_op.create_index('ix_clearing_charges_request', ['request_id'], unique=False)

    op.create_table('digital_loans',
    sa.Column('loan_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('licence_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('library', sa.String(length=42), nullable=False),
    sa.Column('ref', sa.String(length=66), nullable=False),
    sa.Column('due_at', sa.BigInteger(), nullable=False),
    sa.Column('charge', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('checked_out_block', sa.BigInteger(), nullable=False),
    sa.Column('checked_out_at', sa.BigInteger(), nullable=False),
    sa.Column('closed_by', sa.String(length=42), nullable=True),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('loan_id', name=op.f('pk_digital_loans'))
    )
    with op.batch_alter_table('digital_loans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digital_loans_library'), ['library'], unique=False)
        batch_op.create_index(batch_op.f('ix_digital_loans_licence_id'), ['licence_id'], unique=False)

    op.create_table('disputes',
    sa.Column('dispute_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('work_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('claimant', sa.String(length=42), nullable=False),
    sa.Column('opened_at', sa.BigInteger(), nullable=False),
    sa.Column('respond_by', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('responded', sa.Boolean(), nullable=False),
    sa.Column('ruling', sa.String(length=16), nullable=False),
    sa.Column('beneficiary', sa.String(length=42), nullable=True),
    sa.Column('evidence_uri', sa.String(length=256), nullable=False),
    sa.Column('response_uri', sa.String(length=256), nullable=True),
    sa.Column('ruling_uri', sa.String(length=256), nullable=True),
    sa.Column('resolved_at', sa.BigInteger(), nullable=True),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('dispute_id', name=op.f('pk_disputes'))
    )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disputes_work_id'), ['work_id'], unique=False)

    op.create_table('ill_requests',
    sa.Column('request_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('requester', sa.String(length=42), nullable=False),
    sa.Column('supplier', sa.String(length=42), nullable=False),
    sa.Column('borrower', sa.String(length=42), nullable=False),
    sa.Column('own_id', sa.String(length=66), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('service', sa.String(length=8), nullable=False),
    sa.Column('item_kind', sa.String(length=16), nullable=False),
    sa.Column('item', sa.String(length=66), nullable=False),
    sa.Column('max_cost', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('need_before', sa.BigInteger(), nullable=False),
    sa.Column('due_date', sa.BigInteger(), nullable=False),
    sa.Column('cancel_pending', sa.Boolean(), nullable=False),
    sa.Column('renew_pending', sa.Boolean(), nullable=False),
    sa.Column('received', sa.Boolean(), nullable=False),
    sa.Column('return_shipped', sa.Boolean(), nullable=False),
    sa.Column('lost_reported', sa.Boolean(), nullable=False),
    sa.Column('found', sa.Boolean(), nullable=False),
    sa.Column('licence_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('retry_of', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('lending_charged', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('lending_refunded', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('replacement_charged', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('replacement_refunded', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('requested_block', sa.BigInteger(), nullable=False),
    sa.Column('requested_at', sa.BigInteger(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_ill_requests'))
    )
    with op.batch_alter_table('ill_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ill_requests_requester'), ['requester'], unique=False)
        batch_op.create_index(batch_op.f('ix_ill_requests_supplier'), ['supplier'], unique=False)

    op.create_table('ill_transitions',
    sa.Column('block_number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('log_index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('block_timestamp', sa.BigInteger(), nullable=False),
    sa.Column('request_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=42), nullable=False),
    sa.Column('from_status', sa.String(length=32), nullable=False),
    sa.Column('to_status', sa.String(length=32), nullable=False),
    sa.Column('applied', sa.Boolean(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=True),
    sa.Column('accepted', sa.Boolean(), nullable=True),
    sa.Column('reason_scheme', sa.Integer(), nullable=True),
    sa.Column('reason_code', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.BigInteger(), nullable=True),
    sa.Column('forward_to', sa.String(length=42), nullable=True),
    sa.Column('amount', ledger.mirror.types.Amount(precision=78, scale=0), nullable=True),
    sa.PrimaryKeyConstraint('block_number', 'log_index', name=op.f('pk_ill_transitions'))
    )
    with op.batch_alter_table('ill_transitions', schema=None) as batch_op:
        batch_op.create_index('ix_ill_transitions_request', ['request_id', 'block_number', 'log_index'], unique=False)

    op.create_table('licence_terms',
    sa.Column('terms_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('terms_hash', sa.String(length=66), nullable=False),
    sa.Column('publisher', sa.String(length=42), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('price', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('copies', sa.BigInteger(), nullable=False),
    sa.Column('loan_period', sa.BigInteger(), nullable=False),
    sa.Column('max_loans_per_copy', sa.Integer(), nullable=False),
    sa.Column('duration', sa.BigInteger(), nullable=False),
    sa.Column('territory', sa.String(length=6), nullable=False),
    sa.Column('ill_allowed', sa.Boolean(), nullable=False),
    sa.Column('fee_bps', sa.Integer(), nullable=False),
    sa.Column('legal_text_hash', sa.String(length=66), nullable=False),
    sa.Column('legal_text_uri', sa.String(length=256), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('terms_id', name=op.f('pk_licence_terms'))
    )
    with op.batch_alter_table('licence_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licence_terms_publisher'), ['publisher'], unique=False)

    op.create_table('licences',
    sa.Column('licence_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('holder', sa.String(length=42), nullable=False),
    sa.Column('work_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('terms_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('copies', sa.Integer(), nullable=False),
    sa.Column('active_loans', sa.Integer(), nullable=False),
    sa.Column('total_loans', sa.BigInteger(), nullable=False),
    sa.Column('valid_until', sa.BigInteger(), nullable=False),
    sa.Column('gross_paid', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('pool_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('subsidy', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('acquired_block', sa.BigInteger(), nullable=False),
    sa.Column('acquired_at', sa.BigInteger(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('licence_id', name=op.f('pk_licences'))
    )
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licences_holder'), ['holder'], unique=False)
        batch_op.create_index(batch_op.f('ix_licences_work_id'), ['work_id'], unique=False)

    op.create_table('net_positions',
    sa.Column('period_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('library', sa.String(length=42), nullable=False),
    sa.Column('net', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('settled', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('paid_late', sa.Boolean(), nullable=False),
    sa.Column('defaulted', sa.Boolean(), nullable=False),
    sa.Column('defaulted_outstanding', ledger.mirror.types.Amount(precision=78, scale=0), nullable=True),
    sa.Column('defaulted_block', sa.BigInteger(), nullable=True),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('period_id', 'library', name=op.f('pk_net_positions'))
    )
    op.create_table('royalty_accruals',
    sa.Column('block_number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('log_index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('block_timestamp', sa.BigInteger(), nullable=False),
    sa.Column('work_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('terms_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=True),
    sa.Column('ref_kind', sa.String(length=16), nullable=True),
    sa.Column('ref_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=True),
    sa.Column('payer', sa.String(length=42), nullable=True),
    sa.Column('account', sa.String(length=42), nullable=True),
    sa.Column('gross', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('fee', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('net', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index', 'seq', name=op.f('pk_royalty_accruals'))
    )
    with op.batch_alter_table('royalty_accruals', schema=None) as batch_op:
        batch_op.create_index('ix_royalty_accruals_account', ['account', 'block_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_royalty_accruals_work_id'), ['work_id'], unique=False)

    op.create_table('royalty_balances',
    sa.Column('account', sa.String(length=42), nullable=False),
    sa.Column('balance', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('credited', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('withdrawn', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('account', name=op.f('pk_royalty_balances'))
    )
    op.create_table('royalty_escrow',
    sa.Column('work_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('held', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('released', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('work_id', name=op.f('pk_royalty_escrow'))
    )
    op.create_table('royalty_withdrawals',
    sa.Column('block_number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('log_index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('block_timestamp', sa.BigInteger(), nullable=False),
    sa.Column('account', sa.String(length=42), nullable=False),
    sa.Column('amount', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index', name=op.f('pk_royalty_withdrawals'))
    )
    with op.batch_alter_table('royalty_withdrawals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_royalty_withdrawals_account'), ['account'], unique=False)

    op.create_table('settlement_periods',
    sa.Column('period_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('opened_at', sa.BigInteger(), nullable=False),
    sa.Column('closed_at', sa.BigInteger(), nullable=False),
    sa.Column('deadline', sa.BigInteger(), nullable=False),
    sa.Column('owed', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('paid_in', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('withdrawn', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('period_id', name=op.f('pk_settlement_periods'))
    )
    op.create_table('subsidy_draws',
    sa.Column('block_number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('log_index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('block_timestamp', sa.BigInteger(), nullable=False),
    sa.Column('pool_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('buyer', sa.String(length=42), nullable=False),
    sa.Column('work_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('price', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('subsidy', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index', name=op.f('pk_subsidy_draws'))
    )
    with op.batch_alter_table('subsidy_draws', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subsidy_draws_pool_id'), ['pool_id'], unique=False)

    op.create_table('subsidy_pools',
    sa.Column('pool_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('sponsor', sa.String(length=42), nullable=False),
    sa.Column('funded', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('remaining', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('drawn', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('expiry', sa.BigInteger(), nullable=False),
    sa.Column('per_library_cap', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('all_works', sa.Boolean(), nullable=False),
    sa.Column('all_libraries', sa.Boolean(), nullable=False),
    sa.Column('reclaimed', sa.Boolean(), nullable=False),
    sa.Column('reclaimed_amount', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('created_block', sa.BigInteger(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('pool_id', name=op.f('pk_subsidy_pools'))
    )
    with op.batch_alter_table('subsidy_pools', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subsidy_pools_sponsor'), ['sponsor'], unique=False)

    op.create_table('work_offers',
    sa.Column('work_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('terms_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('offer_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('holder', sa.String(length=42), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('work_id', 'terms_id', name=op.f('pk_work_offers'))
    )
    op.create_table('work_payees',
    sa.Column('work_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('payee', sa.String(length=42), nullable=False),
    sa.Column('bps', sa.Integer(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('work_id', 'position', name=op.f('pk_work_payees'))
    )
    with op.batch_alter_table('work_payees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_payees_payee'), ['payee'], unique=False)

    op.create_table('works',
    sa.Column('work_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('content_hash', sa.String(length=66), nullable=False),
    sa.Column('iscc_code', sa.String(length=66), nullable=False),
    sa.Column('metadata_uri', sa.String(length=256), nullable=False),
    sa.Column('holder', sa.String(length=42), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('payee_count', sa.Integer(), nullable=False),
    sa.Column('last_dispute_id', ledger.mirror.types.Amount(precision=78, scale=0), nullable=False),
    sa.Column('revoked_to', sa.String(length=42), nullable=True),
    sa.Column('registered_block', sa.BigInteger(), nullable=False),
    sa.Column('registered_at', sa.BigInteger(), nullable=False),
    sa.Column('registered_tx', sa.String(length=66), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('work_id', name=op.f('pk_works'))
    )
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_works_content_hash'), ['content_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_works_holder'), ['holder'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_works_holder'))
        batch_op.drop_index(batch_op.f('ix_works_content_hash'))

    op.drop_table('works')
    with op.batch_alter_table('work_payees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_payees_payee'))

    op.drop_table('work_payees')
    op.drop_table('work_offers')
    with op.batch_alter_table('subsidy_pools', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subsidy_pools_sponsor'))

    op.drop_table('subsidy_pools')
    with op.batch_alter_table('subsidy_draws', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subsidy_draws_pool_id'))

    op.drop_table('subsidy_draws')
    op.drop_table('settlement_periods')
    with op.batch_alter_table('royalty_withdrawals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_royalty_withdrawals_account'))

    op.drop_table('royalty_withdrawals')
    op.drop_table('royalty_escrow')
    op.drop_table('royalty_balances')
    with op.batch_alter_table('royalty_accruals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_royalty_accruals_work_id'))
        batch_op.drop_index('ix_royalty_accruals_account')

    op.drop_table('royalty_accruals')
    op.drop_table('net_positions')
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licences_work_id'))
        batch_op.drop_index(batch_op.f('ix_licences_holder'))

    op.drop_table('licences')
    with op.batch_alter_table('licence_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licence_terms_publisher'))

    op.drop_table('licence_terms')
    with op.batch_alter_table('ill_transitions', schema=None) as batch_op:
        batch_op.drop_index('ix_ill_transitions_request')

    op.drop_table('ill_transitions')
    with op.batch_alter_table('ill_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ill_requests_supplier'))
        batch_op.drop_index(batch_op.f('ix_ill_requests_requester'))

    op.drop_table('ill_requests')
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disputes_work_id'))

    op.drop_table('disputes')
    with op.batch_alter_table('digital_loans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digital_loans_licence_id'))
        batch_op.drop_index(batch_op.f('ix_digital_loans_library'))

    op.drop_table('digital_loans')
    with op.batch_alter_table('clearing_charges', schema=None) as batch_op:
        batch_op.drop_index('ix_clearing_charges_request')

    op.drop_table('clearing_charges')
    with op.batch_alter_table('attestations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attestations_report_hash'))
        batch_op.drop_index(batch_op.f('ix_attestations_auditor'))

    op.drop_table('attestations')
