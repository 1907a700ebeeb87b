"""Registering real files on a real chain: duplicates refused, near duplicates reported, and
nothing left behind (no work, no stored content, no keyring entry) when a registration fails.

The fixtures below (`rights`, and the real documents of tests.rights) are shared with the other
tests of the rights chain side, which import them from here.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import nacl.pwhash
import pytest

from ledger.delivery import PlatformKeys, WorkKeyring, publish_member_key
from ledger.errors import PayeeSharesNotTenThousand, WorkAlreadyRegistered
from ledger.registration import (
    DuplicateWork,
    check_file,
    index_from_chain,
    register_file,
)
from rights.errors import CorruptDocument, EmptyDocument, InvalidIdentifier, UnsupportedMediaType
from rights.metadata import from_canonical_json
from rights.sealing import MemberKeyPair
from rights.similarity import NearDuplicateIndex
from rights.store import LocalContentStore
from tests.rights.conftest import book_chapters, files  # noqa: F401  (fixtures: real documents)

FAST_KDF = {"opslimit": nacl.pwhash.argon2id.OPSLIMIT_MIN, "memlimit": nacl.pwhash.argon2id.MEMLIMIT_MIN}
NEAR = 12  # bits


@dataclass
class RightsEnv:
    store: LocalContentStore
    keyring: WorkKeyring
    platform: PlatformKeys
    index: NearDuplicateIndex
    content_dir: Path

    def stored(self) -> list[Path]:
        return sorted(p for p in (self.content_dir / "blocks").rglob("*") if p.is_file())


def publish_key(chain, account, path: Path) -> MemberKeyPair:
    return publish_member_key(chain=chain, member=account, key_path=path, passphrase="member pass", **FAST_KDF)


@pytest.fixture
def rights(chain, actors, tmp_path) -> RightsEnv:
    """A content store, keyring and index of one installation; the platform has published its
    X25519 key on chain (the chain fixture reverts it after the test)."""
    platform = PlatformKeys(publish_key(chain, actors.platform, tmp_path / "platform.x25519.json"))
    return RightsEnv(
        store=LocalContentStore(tmp_path / "content"),
        keyring=WorkKeyring(tmp_path / "keyring"),
        platform=platform,
        index=NearDuplicateIndex(),
        content_dir=tmp_path / "content",
    )


def register(chain, actors, rights: RightsEnv, path, **kw):
    args = dict(
        chain=chain,
        publisher=actors.publisher,
        path=path,
        title="A Test Book",
        creators=["Test Author"],
        language="en",
        identifiers=[("isbn", "978-7-02-000220-7")],
        store=rights.store,
        keyring=rights.keyring,
        index=rights.index,
        max_distance=NEAR,
    )
    args.update(kw)
    return register_file(**args)


def work_count(chain) -> int:
    return chain.contract("Works").call("workCount")


def test_registration_puts_record_and_encrypted_content_in_the_store(chain, actors, rights, files):
    reg = register(chain, actors, rights, files["epub"])
    works = chain.contract("Works")
    assert works.call("workIdOf", reg.fingerprint.sha256) == reg.work_id
    assert works.call("holderOf", reg.work_id) == actors.publisher.address
    ev = next(a for n, a in works.events(chain.rpc.call("eth_getTransactionReceipt", [reg.tx_hash])) if n == "WorkRegistered")
    assert ev["metadataURI"] == reg.metadata_uri == "ipfs://" + reg.metadata_cid
    record = from_canonical_json(rights.store.get(reg.metadata_cid))
    assert record.title == "A Test Book" and record.files[0].sha256 == reg.fingerprint.sha256_hex
    assert record.identifiers[0].value == "9787020002207" and record.publisher == "出版社 1"
    # the content is stored encrypted only
    sealed = rights.store.get(reg.content_cid)
    assert sealed[:4] == b"LLSB" and files["epub"].read_bytes()[:64] not in sealed
    assert set(rights.store.pins()) == {reg.metadata_cid, reg.content_cid}
    entry = rights.keyring.get(reg.fingerprint.sha256)
    assert entry.content_cid == reg.content_cid and set(entry.sealed) == {"platform"}
    assert rights.index.near(reg.fingerprint.iscc_content, 0) == [(str(reg.work_id), 0)]


def test_work_key_is_also_sealed_to_a_publisher_with_a_key(chain, actors, rights, files, tmp_path):
    pub = publish_key(chain, actors.publisher, tmp_path / "pub.json")
    reg = register(chain, actors, rights, files["epub"])
    entry = rights.keyring.get(reg.fingerprint.sha256)
    assert entry.sealed["publisher"][0] == pub.public_key.hex()


def test_exact_duplicate_is_refused_with_the_existing_work_id_and_nothing_stored(chain, actors, rights, files, tmp_path):
    first = register(chain, actors, rights, files["epub"])
    copy = tmp_path / "renamed.epub"
    copy.write_bytes(files["epub"].read_bytes())
    other_store = RightsEnv(LocalContentStore(tmp_path / "s2"), WorkKeyring(tmp_path / "k2"), rights.platform, NearDuplicateIndex(), tmp_path / "s2")
    before = work_count(chain)
    with pytest.raises(DuplicateWork) as exc:
        register(chain, actors, other_store, copy, publisher=actors.publishers[1])
    assert exc.value.work_id == first.work_id and exc.value.holder == actors.publisher.address
    assert isinstance(exc.value, WorkAlreadyRegistered)  # the contract's own error class
    assert f"already registered as work {first.work_id}" in str(exc.value)
    assert work_count(chain) == before
    assert other_store.stored() == [] and len(other_store.keyring) == 0


def test_reencoded_and_edited_copies_are_flagged_with_their_distance(chain, actors, rights, files):
    orig = register(chain, actors, rights, files["epub"])
    pdf = register(chain, actors, rights, files["pdf"], title="A Test Book (PDF)")
    assert [n.work_id for n in pdf.near_duplicates] == [orig.work_id]
    assert 0 <= pdf.near_duplicates[0].distance <= NEAR
    edited = register(chain, actors, rights, files["epub_edited"], title="A Test Book, 2nd ed.")
    assert orig.work_id in [n.work_id for n in edited.near_duplicates]
    d = {n.work_id: n.distance for n in edited.near_duplicates}[orig.work_id]
    assert 0 < d <= NEAR
    # near duplicates are reported, not refused
    assert len({orig.work_id, pdf.work_id, edited.work_id}) == 3


def test_unrelated_text_is_not_flagged(chain, actors, rights, files):
    register(chain, actors, rights, files["epub"])
    other = register(chain, actors, rights, files["epub_unrelated"], title="Another Book")
    assert other.near_duplicates == ()


def test_check_file_answers_exact_and_near_without_writing(chain, actors, rights, files):
    reg = register(chain, actors, rights, files["epub"])
    before = (work_count(chain), rights.stored())
    index = index_from_chain(chain)  # rebuilt from WorkRegistered events
    exact = check_file(chain=chain, path=files["epub"], index=index, max_distance=NEAR)
    assert exact.existing_work_id == reg.work_id and exact.held and exact.near_duplicates == ()
    near = check_file(chain=chain, path=files["epub_edited"], index=index, max_distance=NEAR)
    assert near.existing_work_id is None and [n.work_id for n in near.near_duplicates] == [reg.work_id]
    unrelated = check_file(chain=chain, path=files["epub_unrelated"], index=index, max_distance=NEAR)
    assert not unrelated.held
    assert (work_count(chain), rights.stored()) == before


def _bad_files(tmp_path: Path, files) -> dict[str, tuple[Path, type]]:
    empty = tmp_path / "empty.epub"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.txt"
    blank.write_text("   \n\n  \t\n")
    corrupt_pdf = tmp_path / "corrupt.pdf"
    corrupt_pdf.write_bytes(files["pdf"].read_bytes()[:400])
    corrupt_epub = tmp_path / "corrupt.epub"
    with zipfile.ZipFile(corrupt_epub, "w") as z:
        z.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/container.xml", "<container><rootfiles><rootfile full-path='missing.opf'/></rootfiles></container>")
    binary = tmp_path / "cover.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    return {
        "empty": (empty, EmptyDocument),
        "blank": (blank, EmptyDocument),
        "corrupt_pdf": (corrupt_pdf, CorruptDocument),
        "corrupt_epub": (corrupt_epub, CorruptDocument),
        "unsupported": (binary, UnsupportedMediaType),
    }


@pytest.mark.parametrize("kind", ["empty", "blank", "corrupt_pdf", "corrupt_epub", "unsupported"])
def test_bad_files_fail_clearly_and_register_nothing(chain, actors, rights, files, tmp_path, kind):
    path, error = _bad_files(tmp_path, files)[kind]
    before = work_count(chain)
    with pytest.raises(error) as exc:
        register(chain, actors, rights, path)
    assert str(path) in str(exc.value)
    assert work_count(chain) == before
    assert rights.stored() == [] and len(rights.keyring) == 0


def test_bad_metadata_or_payees_register_and_store_nothing(chain, actors, rights, files):
    before = work_count(chain)
    with pytest.raises(InvalidIdentifier):
        register(chain, actors, rights, files["epub"], identifiers=[("isbn", "978-7-02-000220-8")])
    with pytest.raises(PayeeSharesNotTenThousand):
        register(chain, actors, rights, files["epub"], payees=[actors.publisher.address], bps=[9_000])
    assert work_count(chain) == before
    assert rights.stored() == [] and len(rights.keyring) == 0


def test_a_library_cannot_register_and_nothing_is_stored(chain, actors, rights, files):
    before = work_count(chain)
    with pytest.raises(Exception) as exc:
        register(chain, actors, rights, files["txt"], publisher=actors.library)
    assert "Unauthorized" in type(exc.value).__name__ or "Role" in str(exc.value)
    assert work_count(chain) == before
    assert rights.stored() == [] and len(rights.keyring) == 0


def test_failure_after_storing_is_rolled_back(chain, actors, rights, files, monkeypatch):
    """The transaction fails after the content was stored (a race lost to another registrant):
    what this call stored is removed again."""
    works = type(chain.contract("Works"))
    real = works.transact

    def lose_the_race(self, fn, *args, sender, **kw):
        if fn == "registerWork":
            real(self, fn, *args, sender=actors.publishers[1])  # the other publisher wins
        return real(self, fn, *args, sender=sender, **kw)

    monkeypatch.setattr(works, "transact", lose_the_race)
    with pytest.raises(WorkAlreadyRegistered):
        register(chain, actors, rights, files["epub"])
    monkeypatch.undo()
    assert rights.stored() == [] and len(rights.keyring) == 0
    assert work_count(chain) == 1  # only the winner's


def test_registration_without_platform_key_is_refused(chain, actors, files, tmp_path):
    from ledger.delivery import EncryptionKeyMissing

    env = RightsEnv(LocalContentStore(tmp_path / "c"), WorkKeyring(tmp_path / "k"), None, NearDuplicateIndex(), tmp_path / "c")  # type: ignore[arg-type]
    with pytest.raises(EncryptionKeyMissing, match="platform"):
        register(chain, actors, env, files["epub"])
    assert env.stored() == [] and work_count(chain) == 0
