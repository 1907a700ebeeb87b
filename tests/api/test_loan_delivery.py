"""Encrypted lending through the service: the borrowing library fetches its loan package
(work key sealed to its X25519 key from Consortium, signed loan stamp) and the encrypted content,
opens it with its private key, and the copy traces back to the loan. Real anvil, the API stack's
chain, the content store written by a real registration."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import nacl.pwhash
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import tokens
from api.config import ApiSettings
from api.main import create_app
from api.runtime import Runtime
from ledger import accounts
from ledger.chain import Chain
from ledger.delivery import (
    LoanPackage, load_platform_keys, open_loan, publish_member_key, trace_file, trusted_stamp_keys, write_stamp_public_key,
)
from ledger import manifest
from ledger.cli import app as cli_app
from rights.errors import NotForThisMember
from rights.sealing import generate_member_keypair, load_private_key, save_private_key
from rights.store import LocalContentStore, cid_of
from rights.text import extract_text
from tests.conftest import free_port
from tests.api.test_cli import platform_key  # noqa: F401  (fixture: the platform's X25519 key on chain, passphrase below)
from tests.rights.conftest import make_epub, prose

PLATFORM_PASS = "platform pass"  # tests.api.test_cli.platform_key
LIB, OTHER, PUB = "CN-330200-NBL", "CN-330100-HZL", "PUB-SHYW"


@pytest.fixture
def service(api, platform_key, tmp_path):
    """A second service on the stack's chain and data dir that holds the platform key's passphrase."""
    settings = ApiSettings(**{**api.settings.model_dump(), "database_url": f"sqlite:///{tmp_path / 'delivery.sqlite'}",
                              "key_passphrase": PLATFORM_PASS})
    rt = Runtime.open(settings)
    try:
        app = create_app(settings, runtime=rt, start_indexer=False)
        with TestClient(app, raise_server_exceptions=False) as client:
            secrets = {}
            with rt.writing() as s:
                for who in (LIB, OTHER):
                    secrets[who], _ = tokens.create(s, member=who, account=rt.address_of(who), name="delivery")
            yield client, secrets, app
    finally:
        rt.close()


def _library_key(api, tmp_path, who=LIB):
    """A library's X25519 key: a fresh file here, its public half published in Consortium."""
    s = api.settings
    chain = Chain(s, manifest.load(s.manifest_path))
    try:
        path = tmp_path / f"{who}.x25519.json"
        pair = publish_member_key(chain=chain, member=accounts.signer(s, who), key_path=path, passphrase="nbl pass",
                                  opslimit=nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE, memlimit=nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE)
        return pair, path
    finally:
        chain.close()


@contextmanager
def _serving(app):  # noqa: ANN001, ANN202
    """The app over real HTTP (uvicorn in a thread) for the command line to talk to."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.mark.parametrize("api", ["sqlite"], indirect=True)
def test_borrowing_library_gets_a_sealed_package_and_opens_a_stamped_copy(api, service, tmp_path):
    client, secrets, app = service
    heads = {who: {"Authorization": f"Bearer {secret}"} for who, secret in secrets.items()}
    pair, key_path = _library_key(api, tmp_path)
    book = make_epub(tmp_path / "lent.epub", title="借出的书", language="zh", chapters=[(f"第{i}章", prose(5100 + i, 500)) for i in range(1, 3)])
    with open(book, "rb") as f:
        r = api.client.post("/works/file", headers=api.h(PUB), files={"file": (book.name, f, "application/epub+zip")},
                            data={"title": "借出的书", "creators": ["沈复"], "language": "zh"})
    assert r.status_code == 201, r.text
    work_id = r.json()["work_id"]
    deadline = time.monotonic() + 30
    while api.get(f"/works/{work_id}").status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    terms = api.post("/terms", PUB, {"kind": "PerpetualCopies", "price": 3_000, "copies": 1, "loan_period_seconds": 14 * 86400,
                                     "ill_allowed": True, "legal_text_uri": "ipfs://legal-delivery"})
    assert terms.status_code == 201, terms.text
    assert api.post(f"/works/{work_id}/terms", PUB, {"terms_id": int(terms.json()["id"])}).status_code in (200, 201)
    lic = api.post("/licences", LIB, {"work_id": work_id, "terms_id": int(terms.json()["id"])})
    assert lic.status_code == 201, lic.text
    loan = api.post("/loans", LIB, {"licence_id": int(lic.json()["id"])})
    assert loan.status_code == 201, loan.text
    loan_id = int(loan.json()["id"])

    r = client.get(f"/loans/{loan_id}/package", headers=heads[LIB])
    assert r.status_code == 200, r.text
    pkg = LoanPackage.from_json(r.content)
    assert pkg.loan_id == loan_id and pkg.library.lower() == api.accounts[LIB].lower() and pkg.work_id == work_id

    # the encrypted content, by CID, into the library's own store (a CID it can check)
    blob = client.get(f"/content/{pkg.content_cid}", headers=heads[LIB])
    assert blob.status_code == 200 and cid_of(blob.content) == pkg.content_cid
    assert book.read_bytes()[:4096] not in blob.content  # encrypted, not the EPUB
    mine = LocalContentStore(tmp_path / "library-store")
    assert mine.put(blob.content) == pkg.content_cid

    copy = open_loan(pkg, load_private_key(key_path, "nbl pass"), mine, dest=tmp_path / "copy.epub")
    assert extract_text(copy) == extract_text(book)
    s = api.settings
    chain = Chain(s, manifest.load(s.manifest_path))
    try:  # the platform's published stamp key (platform-stamp.pub) is what a tracer trusts
        write_stamp_public_key(s, load_platform_keys(s, chain, PLATFORM_PASS))
        traced = trace_file(chain=chain, path=copy, trusted_keys=trusted_stamp_keys(s))
    finally:
        chain.close()
    assert traced.confirmed and traced.stamp.library_isil == LIB and str(loan_id) in traced.stamp.loan_id

    # `libledger open LOAN` as the library runs it: package and content fetched from the service over HTTP
    with _serving(app) as url:
        env = {"LIBLEDGER_API_URL": url, "LIBLEDGER_API_TOKEN": secrets[LIB], "LIBLEDGER_KEY_PASSPHRASE": "nbl pass",
               "LIBLEDGER_DATA_DIR": str(tmp_path / "library-data"), "COLUMNS": "250"}
        res = CliRunner().invoke(cli_app, ["open", str(loan_id), "--key", str(key_path), "--out", str(tmp_path / "cli-copy.epub")], env=env)
        assert res.exit_code == 0, res.output
        assert f"opened loan {loan_id}" in res.stdout and LIB in res.stdout
        assert extract_text(tmp_path / "cli-copy.epub") == extract_text(book)
        res = CliRunner().invoke(cli_app, ["open", str(loan_id), "--key", str(key_path)], env=dict(env, LIBLEDGER_API_TOKEN=secrets[OTHER]))
        assert res.exit_code == 1 and "403" in res.stderr and "borrowing library" in res.stderr
        assert "Traceback" not in res.output and len([ln for ln in res.stderr.splitlines() if ln.strip()]) == 1
        res = CliRunner().invoke(cli_app, ["open", "not-a-loan", "--key", str(key_path)], env=env)
        assert res.exit_code == 1 and "neither a loan package file nor a loan id" in res.stderr

    # nobody else opens it: another library's key, another library asking
    other_key = tmp_path / "other.x25519.json"
    save_private_key(other_key, generate_member_keypair(), "x", opslimit=nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE,
                     memlimit=nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE)
    with pytest.raises(NotForThisMember):
        open_loan(pkg, load_private_key(other_key, "x"), mine, dest=tmp_path / "stolen.epub")
    r = client.get(f"/loans/{loan_id}/package", headers=heads[OTHER])
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")

    # a returned loan is no longer delivered; unknown content is a 404, a non-CID a 422
    assert api.post(f"/loans/{loan_id}/checkin", LIB).status_code == 200
    r = client.get(f"/loans/{loan_id}/package", headers=heads[LIB])
    assert r.status_code == 409 and "returned" in r.json()["detail"]
    assert client.get("/content/" + cid_of(b"never stored"), headers=heads[LIB]).status_code == 404

    # a digital ILL of the same work: NBL (holding the licence) supplies HZL, which gets the package
    _, other_key_path = _library_key(api, tmp_path, OTHER)
    r = api.post("/ill/requests", OTHER, {"supplier": LIB, "own_id": f"DIG-{time.time_ns() % 10**9}", "work_id": work_id,
                                          "licence_id": int(lic.json()["id"]), "max_cost": 1_000})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    r = client.get(f"/ill/requests/{rid}/package", headers=heads[OTHER])
    assert r.status_code == 409, r.text  # not loaned yet
    for body in ({"status": "WillSupply"}, {"status": "Loaned", "due_date": int(time.time()) + 7 * 86400}):
        assert api.post(f"/ill/requests/{rid}/status", LIB, body).status_code == 200
    r = client.get(f"/ill/requests/{rid}/package", headers=heads[OTHER])
    assert r.status_code == 200, r.text
    ill_pkg = LoanPackage.from_json(r.content)
    assert ill_pkg.kind == "ill" and ill_pkg.library_isil == OTHER
    assert client.get(f"/ill/requests/{rid}/package", headers=heads[LIB]).status_code == 403  # the supplier is not the borrower
    ill_copy = open_loan(ill_pkg, load_private_key(other_key_path, "nbl pass"), mine, dest=tmp_path / "ill-copy.epub")
    assert extract_text(ill_copy) == extract_text(book)
    with pytest.raises(NotForThisMember):
        open_loan(ill_pkg, load_private_key(key_path, "nbl pass"), mine, dest=tmp_path / "ill-stolen.epub")
    assert client.get("/content/" + "z" * 59, headers=heads[LIB]).status_code == 422
