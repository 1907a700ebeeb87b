"""Verifying files against the chain directly: registrant, block, time, payees, terms, disputes."""

from __future__ import annotations

import hashlib

from ledger.verification import verify_file
from tests.flows import offer_terms
from tests.ledger.test_registration import register, rights  # noqa: F401  (fixture)
from tests.rights.conftest import book_chapters, files  # noqa: F401  (fixtures)


def test_registered_file_shows_registrant_block_time_and_payees(chain, actors, rights, files):
    payees = [actors.publisher.address, actors.publishers[1].address]
    reg = register(chain, actors, rights, files["pdf"], payees=payees, bps=[7_000, 3_000])
    v = verify_file(chain=chain, path=files["pdf"])
    assert v.registered and v.work_id == reg.work_id
    assert v.registrant == v.holder == actors.publisher.address
    assert v.registration_block == reg.block_number and v.registration_tx == reg.tx_hash
    block = chain.rpc.call("eth_getBlockByNumber", [hex(reg.block_number), False])
    assert v.registration_time == int(block["timestamp"], 16)
    assert [(p.account, p.bps) for p in v.payees] == [(payees[0], 7_000), (payees[1], 3_000)]
    assert v.status == "active" and v.metadata_uri == reg.metadata_uri
    assert v.iscc_code == reg.fingerprint.iscc_content
    assert v.fingerprint.sha256 == hashlib.sha256(files["pdf"].read_bytes()).digest()
    assert v.terms == () and v.disputes == ()
    assert f"work {reg.work_id}" in v.summary


def test_terms_and_disputes_are_shown(chain, actors, rights, files):
    reg = register(chain, actors, rights, files["epub"])
    terms_id = offer_terms(chain, actors.publisher, reg.work_id, price=12_345, copies=2)
    chain.contract("Works").transact("openDispute", reg.work_id, "ipfs://evidence", sender=actors.library)
    v = verify_file(chain=chain, path=files["epub"])
    [t] = v.terms
    assert (t.terms_id, t.state, t.kind, t.price, t.copies, t.fee_bps, t.territory) == (terms_id, "enabled", "perpetual", 12_345, 2, 3_000, "CN")
    [d] = v.disputes
    assert d.claimant == actors.library.address and d.status == "open" and d.evidence_uri == "ipfs://evidence"
    assert v.status == "disputed"


def test_unregistered_file_says_so_clearly(chain, files):
    v = verify_file(chain=chain, path=files["epub_unrelated"])
    assert not v.registered and v.work_id is None and v.payees == ()
    assert v.summary.startswith("not registered") and v.fingerprint.sha256_hex in v.summary


def test_any_file_type_can_be_verified(chain, tmp_path):
    blob = tmp_path / "image.bin"
    blob.write_bytes(bytes(range(256)) * 4)
    v = verify_file(chain=chain, path=blob)
    assert not v.registered and v.fingerprint.iscc_content is None
