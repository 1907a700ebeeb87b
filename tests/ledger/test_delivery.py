"""Encrypted digital loans end to end on a real chain: package, open, stamped copy, trace."""

from __future__ import annotations

import json
import zipfile

import pytest

from ledger.config import Settings
from ledger.delivery import (
    EncryptionKeyMissing,
    LoanNotDeliverable,
    LoanPackage,
    deliver_loan,
    load_platform_keys,
    member_key_path,
    open_loan,
    trace_file,
    write_stamp_public_key,
    trusted_stamp_keys,
)
from rights.errors import NotForThisMember, StampInvalid, StampMissing
from rights.sealing import generate_member_keypair
from rights.stamp import EPUB_STAMP_ENTRY, new_stamp, stamp_file
from rights.text import extract_text
from tests.flows import acquire, checkout, offer_terms
from tests.ledger.test_registration import publish_key, register, rights  # noqa: F401  (fixture)
from tests.rights.conftest import book_chapters, files  # noqa: F401  (fixtures)

ISSUED_AT = 1_760_000_000


def lend(chain, actors, rights, path, *, library=None):
    """Register `path`, license it to `library` and check a copy out: (registration, loan id)."""
    library = library or actors.library
    reg = register(chain, actors, rights, path)
    terms_id = offer_terms(chain, actors.publisher, reg.work_id)
    licence_id = acquire(chain, library, reg.work_id, terms_id)
    return reg, licence_id, checkout(chain, library, licence_id)


@pytest.fixture
def library_key(chain, actors, tmp_path):
    return publish_key(chain, actors.library, tmp_path / "lib1.x25519.json")


@pytest.mark.parametrize("kind", ["epub", "pdf", "txt"])
def test_package_opens_to_a_stamped_copy_that_traces_to_the_loan(chain, actors, rights, files, library_key, tmp_path, kind):
    reg, licence_id, loan_id = lend(chain, actors, rights, files[kind])
    pkg = deliver_loan(chain=chain, loan_id=loan_id, keyring=rights.keyring, platform=rights.platform, issued_at=ISSUED_AT)
    assert (pkg.loan_id, pkg.licence_id, pkg.work_id) == (loan_id, licence_id, reg.work_id)
    assert pkg.content_cid == reg.content_cid and pkg.library_isil == "CN-330000-ZJL"
    # the package travels as a file
    pkg = LoanPackage.load(pkg.save(tmp_path / "loan.json"))
    copy = open_loan(pkg, library_key.private_key, rights.store, dest=tmp_path / "out" / f"book.{kind}")
    assert extract_text(copy) == extract_text(files[kind])

    trace = trace_file(chain=chain, path=copy, trusted_keys=[rights.platform.stamp_public_key])
    assert trace.confirmed and trace.problems == ()
    assert (trace.kind, trace.loan_id, trace.stamp.licence_id) == ("loan", loan_id, str(licence_id))
    assert trace.stamp.library_isil == "CN-330000-ZJL" and trace.library == actors.library.address
    assert trace.library_name == "图书馆 CN-330000-ZJL" and trace.loan_status == "active"
    assert trace.work_id == reg.work_id and trace.stamp.issued_at == ISSUED_AT
    assert trace.checkout_block is not None and trace.checkout_tx.startswith("0x")


def test_sealed_key_opens_only_for_the_borrowing_member(chain, actors, rights, files, library_key, tmp_path):
    other = publish_key(chain, actors.libraries[1], tmp_path / "lib2.json")
    _, _, loan_id = lend(chain, actors, rights, files["epub"])
    pkg = deliver_loan(chain=chain, loan_id=loan_id, keyring=rights.keyring, platform=rights.platform)
    with pytest.raises(NotForThisMember):
        open_loan(pkg, other.private_key, rights.store, dest=tmp_path / "stolen.epub")
    with pytest.raises(NotForThisMember):
        open_loan(pkg, rights.platform.encryption.private_key, rights.store, dest=tmp_path / "p.epub")
    assert not (tmp_path / "stolen.epub").exists()
    assert open_loan(pkg, library_key, rights.store, dest=tmp_path / "ok.epub").exists()


def test_tampered_stamp_is_rejected(chain, actors, rights, files, library_key, tmp_path):
    _, _, loan_id = lend(chain, actors, rights, files["epub"])
    pkg = deliver_loan(chain=chain, loan_id=loan_id, keyring=rights.keyring, platform=rights.platform)
    good = open_loan(pkg, library_key, rights.store, dest=tmp_path / "good.epub")
    bad = tmp_path / "bad.epub"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == EPUB_STAMP_ENTRY:
                doc = json.loads(data)
                doc["stamp"]["library_isil"] = "CN-330100-HZL"  # blame another library
                data = json.dumps(doc).encode()
            zout.writestr(info, data)
    trusted = [rights.platform.stamp_public_key]
    with pytest.raises(StampInvalid, match="altered"):
        trace_file(chain=chain, path=bad, trusted_keys=trusted)
    with pytest.raises(StampInvalid, match="trusted"):
        trace_file(chain=chain, path=good, trusted_keys=[bytes(32)])
    with pytest.raises(StampMissing):
        trace_file(chain=chain, path=files["epub"], trusted_keys=trusted)


def test_genuine_stamp_that_disagrees_with_the_chain_is_not_confirmed(chain, actors, rights, files, library_key, tmp_path):
    """Stamps signed by the platform but naming another library, or a loan this chain does not
    know (e.g. a copy from another deployment), are reported with what differs."""
    snap = chain.rpc.call("evm_snapshot")
    reg, licence_id, loan_id = lend(chain, actors, rights, files["epub"])
    wrong = new_stamp(loan_id=f"loan:{loan_id}", licence_id=str(licence_id), library_isil="CN-330100-HZL", source=files["epub"])
    blamed = stamp_file(files["epub"], tmp_path / "blamed.epub", wrong, rights.platform.signing_key)
    trace = trace_file(chain=chain, path=blamed, trusted_keys=[rights.platform.stamp_public_key])
    assert not trace.confirmed and "CN-330000-ZJL" in trace.problems[0] and "CN-330100-HZL" in trace.problems[0]

    pkg = deliver_loan(chain=chain, loan_id=loan_id, keyring=rights.keyring, platform=rights.platform)
    copy = open_loan(pkg, library_key, rights.store, dest=tmp_path / "c.epub")
    chain.rpc.call("evm_revert", [snap])  # the loan never happened on this chain
    chain.pipeline.nonces.reset()
    trace = trace_file(chain=chain, path=copy, trusted_keys=[rights.platform.stamp_public_key])
    assert not trace.confirmed and trace.problems == (f"loan {loan_id} does not exist on this chain",)
    assert trace.stamp.library_isil == "CN-330000-ZJL"  # the stamp itself still names the library


def test_returned_loan_cannot_be_delivered(chain, actors, rights, files, library_key):
    _, _, loan_id = lend(chain, actors, rights, files["epub"])
    chain.contract("Licensing").transact("checkin", loan_id, sender=actors.library)
    with pytest.raises(LoanNotDeliverable, match="returned"):
        deliver_loan(chain=chain, loan_id=loan_id, keyring=rights.keyring, platform=rights.platform)
    with pytest.raises(LoanNotDeliverable, match="does not exist"):
        deliver_loan(chain=chain, loan_id=999, keyring=rights.keyring, platform=rights.platform)


def test_library_without_a_published_key_gets_a_clear_error(chain, actors, rights, files):
    _, _, loan_id = lend(chain, actors, rights, files["epub"])
    with pytest.raises(EncryptionKeyMissing, match="CN-330000-ZJL.*keys x25519"):
        deliver_loan(chain=chain, loan_id=loan_id, keyring=rights.keyring, platform=rights.platform)


def test_platform_keys_load_from_their_file_and_match_the_chain(chain, actors, settings, tmp_path):
    s = Settings(rpc_url=settings.rpc_url, data_dir=tmp_path / "data", keystore_password="pw")
    path = member_key_path(s, "LIBLEDGER-PLATFORM")
    pair = publish_key(chain, actors.platform, path)
    keys = load_platform_keys(s, chain, "member pass")
    assert keys.encryption.public_key == pair.public_key
    write_stamp_public_key(s, keys)
    assert trusted_stamp_keys(s) == [keys.stamp_public_key]
    # the stamp key is derived, stable and distinct from the X25519 key
    assert load_platform_keys(s, chain, "member pass").stamp_public_key == keys.stamp_public_key != pair.public_key
    # a key file that is not the one on chain is refused
    chain.contract("Consortium").transact("setEncryptionKey", generate_member_keypair().public_key, sender=actors.platform)
    with pytest.raises(Exception, match="does not match"):
        load_platform_keys(s, chain, "member pass")


def test_digital_ill_is_delivered_to_the_borrowing_library_and_traced(chain, actors, rights, files, tmp_path):
    from tests.flows import ITEM_WORK, Status, ill_request, ill_status

    requester, supplier = actors.libraries[0], actors.libraries[1]
    requester_key = publish_key(chain, requester, tmp_path / "req.json")
    supplier_key = publish_key(chain, supplier, tmp_path / "sup.json")
    reg = register(chain, actors, rights, files["pdf"])
    terms_id = offer_terms(chain, actors.publisher, reg.work_id, ill=True)
    licence_id = acquire(chain, supplier, reg.work_id, terms_id)
    rid = ill_request(chain, requester, supplier.address, item=reg.work_id.to_bytes(32, "big"), item_kind=ITEM_WORK, licence_id=licence_id)
    with pytest.raises(LoanNotDeliverable, match="request received"):
        deliver_loan(chain=chain, loan_id=rid, kind="ill", keyring=rights.keyring, platform=rights.platform)
    ill_status(chain, supplier, rid, Status.Loaned)

    pkg = deliver_loan(chain=chain, loan_id=rid, kind="ill", keyring=rights.keyring, platform=rights.platform)
    assert (pkg.kind, pkg.licence_id, pkg.library, pkg.library_isil) == ("ill", licence_id, requester.address, "CN-330000-ZJL")
    with pytest.raises(NotForThisMember):  # the supplier lent the copy; it cannot open the delivery
        open_loan(pkg, supplier_key, rights.store, dest=tmp_path / "s.pdf")
    copy = open_loan(LoanPackage.from_json(pkg.to_json()), requester_key, rights.store, dest=tmp_path / "ill.pdf")
    trace = trace_file(chain=chain, path=copy, trusted_keys=[rights.platform.stamp_public_key])
    assert trace.confirmed and (trace.kind, trace.loan_id) == ("ill", rid)
    assert trace.stamp.library_isil == "CN-330000-ZJL" and trace.loan_status == "loaned"
    assert trace.checkout_tx is not None and trace.work_id == reg.work_id
    with pytest.raises(LoanNotDeliverable, match="does not exist"):
        deliver_loan(chain=chain, loan_id=12345, kind="ill", keyring=rights.keyring, platform=rights.platform)
