"""`libledger works register FILE` and friends: the CLI runs as a separate process against the
API test stack (real anvil, SQLite mirror written by the app's indexer), through the same
service layer as the API and the console."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nacl.pwhash
import pytest

from ledger import accounts
from ledger.chain import Chain
from ledger.delivery import member_key_path, publish_member_key
from ledger import manifest
from rights.store import LocalContentStore
from tests.rights.conftest import edit_words, make_epub, prose

LIBLEDGER = [sys.executable, "-m", "ledger.cli"]
sqlite_only = pytest.mark.parametrize("api", ["sqlite"], indirect=True)


def run(api, *args: str) -> subprocess.CompletedProcess[str]:
    s = api.settings
    env = dict(os.environ, COLUMNS="250", LIBLEDGER_DATA_DIR=str(s.data_dir), LIBLEDGER_RPC_URL=s.rpc_url,
               LIBLEDGER_DATABASE_URL=s.database_url, LIBLEDGER_KEYSTORE_PASSWORD=s.keystore_password)
    return subprocess.run([*LIBLEDGER, *args], env=env, capture_output=True, text=True, timeout=180)


@pytest.fixture
def platform_key(api):
    """The platform's X25519 key on chain (registration seals each work's key for it)."""
    s = api.settings
    chain = Chain(s, manifest.load(s.manifest_path))
    try:
        if bytes(chain.contract("Consortium").call("member", api.accounts["LIBLEDGER-PLATFORM"])["x25519PublicKey"]) == bytes(32):
            publish_member_key(chain=chain, member=accounts.signer(s, "LIBLEDGER-PLATFORM"),
                               key_path=member_key_path(s, "LIBLEDGER-PLATFORM"), passphrase="platform pass",
                               opslimit=nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE, memlimit=nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE)
    finally:
        chain.close()


def _book(tmp_path: Path, seed: int, title: str) -> Path:
    return make_epub(tmp_path / f"{seed}.epub", title=title, language="zh",
                     chapters=[(f"第{i}章", prose(seed * 10 + i, 600)) for i in range(1, 4)])


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@sqlite_only
def test_register_file_stores_content_and_metadata_then_registers(api, platform_key, tmp_path):
    book = _book(tmp_path, 1, "命令行登记的书")
    proc = run(api, "works", "register", str(book), "--member", "PUB-ZJPP", "--title", "命令行登记的书",
               "--creator", "张岱", "--language", "zh", "--isbn", "978-7-02-000220-7")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = api.get("/works", params={"title": "命令行登记的书"}).json()["items"]
    [work] = [w for w in found if w["holder"].lower() == api.accounts["PUB-ZJPP"].lower()]
    assert str(work["id"]) in proc.stdout
    # the metadata record the chain points at is in the content store, canonical JSON naming the book
    store = LocalContentStore(api.settings.content_path)
    cid = work["metadata_uri"].removeprefix("ipfs://")
    record = json.loads(store.get(cid))
    assert record["title"] == "命令行登记的书" and record["creators"] == ["张岱"] and record["language"] == "zh"
    assert record["files"][0]["sha256"] in work["content_hash"]
    # the stored content is encrypted: the EPUB's bytes are not in the store as they are
    assert book.read_bytes() not in {p.read_bytes() for p in Path(api.settings.content_path).rglob("*") if p.is_file()}

    again = _one_error_line(run(api, "works", "register", str(book), "--member", "PUB-ZJPP"))
    assert "WorkAlreadyRegistered" in again or "already registered" in again


@sqlite_only
def test_near_duplicates_are_reported_at_registration_with_their_distance(api, platform_key, tmp_path):
    import re

    from ledger.registration import text_fingerprint
    from rights.similarity import code_body, hamming

    chapters = [(f"第{i}章", prose(9100 + i, 600)) for i in range(1, 4)]
    original = make_epub(tmp_path / "original.epub", title="近似原本", language="zh", chapters=chapters)
    _ok(run(api, "works", "register", str(original), "--member", "PUB-ZJPP", "--title", "近似原本", "--creator", "张岱"))
    [work] = api.get("/works", params={"title": "近似原本"}).json()["items"]

    def edited(name: str, seed: int):  # noqa: ANN202
        path = make_epub(tmp_path / name, title="近似原本", language="zh", chapters=[(h, edit_words(b, 20, seed)) for h, b in chapters])
        bits = hamming(code_body(text_fingerprint(original).iscc_content), code_body(text_fingerprint(path).iscc_content))
        return path, bits

    # a lightly edited copy (20 words changed): registered, and the original named with its distance
    copy, bits = edited("edited.epub", 7)
    assert 0 < bits <= 12
    out = _ok(run(api, "works", "register", str(copy), "--member", "PUB-SHYW", "--title", "近似改本", "--creator", "张岱"))
    found = re.findall(r"near duplicate: work (\d+) \((\d+) bits apart\)", out)
    assert (str(work["id"]), str(bits)) in found, out
    # the threshold is the registrant's: just below the distance, the original is not reported
    other, bits = edited("edited-again.epub", 11)
    assert bits >= 1
    out = _ok(run(api, "works", "register", str(other), "--member", "PUB-SHYW", "--title", "近似二改", "--creator", "张岱", "--max-distance", str(bits - 1)))
    assert f"near duplicate: work {work['id']} " not in out
    assert "--max-distance" in run(api, "works", "register", "--help").stdout


@sqlite_only
def test_only_publishers_register_and_nothing_is_stored_when_refused(api, platform_key, tmp_path):
    store_dir = Path(api.settings.content_path)
    before = sorted(p.name for p in store_dir.rglob("*")) if store_dir.exists() else []
    line = _one_error_line(run(api, "works", "register", str(_book(tmp_path, 2, "不是出版社")), "--member", "CN-330000-ZJL"))
    assert "publisher" in line.lower() or "403" in line, line
    after = sorted(p.name for p in store_dir.rglob("*")) if store_dir.exists() else []
    assert after == before


@sqlite_only
def test_unreadable_file_is_one_clear_line(api, platform_key, tmp_path):
    bad = tmp_path / "broken.epub"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    line = _one_error_line(run(api, "works", "register", str(bad), "--member", "PUB-ZJPP"))
    assert "415" in line and "not supported" in line  # not an EPUB at all: the same answer as POST /works/check
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert "422" in _one_error_line(run(api, "works", "register", str(empty), "--member", "PUB-ZJPP"))


@sqlite_only
def test_fingerprint_only_registration_with_external_metadata(api, tmp_path):
    book = _book(tmp_path, 3, "外部元数据")
    proc = run(api, "works", "register", str(book), "--member", "PUB-SHYW", "--metadata-uri", "ipfs://bafy-external", "--title", "外部元数据")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [work] = api.get("/works", params={"title": "外部元数据"}).json()["items"]
    assert work["metadata_uri"] == "ipfs://bafy-external"


def _ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@sqlite_only
def test_token_created_by_the_cli_is_shown_once_works_and_can_be_revoked(api):
    out = _ok(run(api, "token", "create", "--member", "CN-330200-NBL", "--name", "cli test"))
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("llt_")
    me = api.client.get("/members/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["account"].lower() == api.accounts["CN-330200-NBL"].lower()
    listed = _ok(run(api, "token", "list", "--member", "CN-330200-NBL"))
    token_id = secret.removeprefix("llt_").split("_", 1)[0]
    assert token_id in listed and secret not in listed  # the secret is never shown again
    _ok(run(api, "token", "revoke", token_id))
    assert api.client.get("/members/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


@sqlite_only
def test_licence_loans_and_an_ill_run_from_the_command_line(api, tmp_path):
    import re
    import time

    pub, lib, lib2 = "PUB-ZJPP", "CN-330000-ZJL", "CN-330100-HZL"
    book = _book(tmp_path, 4, "命令行借阅")
    _ok(run(api, "works", "register", str(book), "--member", pub, "--metadata-uri", "ipfs://bafy-cli", "--title", "命令行借阅"))
    [work] = api.get("/works", params={"title": "命令行借阅"}).json()["items"]
    terms = api.post("/terms", pub, {"kind": "PerpetualCopies", "price": 5_000, "copies": 1, "loan_period_seconds": 14 * 86400, "ill_allowed": True,
                                       "legal_text_uri": "ipfs://legal-cli"})
    assert terms.status_code == 201, terms.text
    terms_id = int(terms.json()["id"])
    assert api.post(f"/works/{work['id']}/terms", pub, {"terms_id": terms_id}).status_code in (200, 201)

    _ok(run(api, "licences", "acquire", "--member", lib, "--work", str(work["id"]), "--terms", str(terms_id)))
    [lic] = api.get("/licences", params={"holder": lib, "work_id": work["id"]}).json()["items"]
    assert lic["copies"] == 1 and lic["paid"]["amount"] == 5_000

    out = _ok(run(api, "loans", "checkout", "--member", lib, "--licence", str(lic["id"])))
    loan_id = int(re.search(r"loan (\d+) under licence", out).group(1))
    refused = _one_error_line(run(api, "loans", "checkout", "--member", lib, "--licence", str(lic["id"])))
    assert "LicensingNoFreeCopy" in refused  # never more loans at once than copies owned
    _ok(run(api, "loans", "checkin", "--member", lib, str(loan_id)))
    assert api.get(f"/licences/{lic['id']}/usage").json()["licence"]["active_loans"] == 0

    own = f"CLI-{time.time_ns() % 10**9}"
    out = _ok(run(api, "ill", "request", "--member", lib2, "--supplier", lib, "--own-id", own, "--work", str(work["id"]), "--max-cost", "1000"))
    rid = re.search(r"ILL request (\d+)", out).group(1)
    due = int(time.time()) + 30 * 86400
    _ok(run(api, "ill", "status", "--member", lib, rid, "WillSupply"))
    _ok(run(api, "ill", "status", "--member", lib, rid, "Loaned", "--due", str(due), "--charge", "800"))
    wrong = _one_error_line(run(api, "ill", "act", "--member", lib, rid, "Received"))
    assert "IllWrongParty" in wrong
    assert "unknown action" in _one_error_line(run(api, "ill", "act", "--member", lib2, rid, "Teleported"))
    _ok(run(api, "ill", "act", "--member", lib2, rid, "Received"))
    _ok(run(api, "ill", "act", "--member", lib2, rid, "ShippedReturn"))
    _ok(run(api, "ill", "status", "--member", lib, rid, "LoanCompleted"))
    shown = _ok(run(api, "ill", "show", rid))
    assert "LoanCompleted" in shown
    hist = api.get(f"/ill/requests/{rid}/history").json()["items"]
    assert [h["summary"]["to"] for h in hist if h["event"] == "StatusChanged"] == ["WillSupply", "Loaned", "LoanCompleted"]
