"""`libledger verify / check / trace / open / keys x25519` as a user runs them, against the
session's anvil, and their expected failures as one clear line.

The commands run in-process through Typer's CliRunner (a subprocess costs ~3 s of imports
each); one smoke test runs the real `python -m ledger.cli` entry point."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from dataclasses import dataclass

import pytest
from typer.testing import CliRunner

from ledger import keystore
from ledger import manifest as manifest_io
from ledger.config import Settings
from ledger.delivery import WorkKeyring, deliver_loan, load_platform_keys, member_key_path
from ledger.registration import register_file
from rights.stamp import EPUB_STAMP_ENTRY
from rights.store import LocalContentStore
from rights.text import extract_text
from tests.flows import acquire, checkout, offer_terms
from tests.ledger.test_cli import assert_one_line_error
from tests.ledger.test_cli import run as run_subprocess
from tests.rights.conftest import book_chapters, files  # noqa: F401  (fixtures)

PASSPHRASE = "library desk passphrase"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run(args: list[str], env: dict[str, str], check: bool = True) -> Result:
    from ledger.cli import app

    res = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    out = Result(res.exit_code, res.stdout, res.stderr)
    if check and out.returncode != 0:
        raise AssertionError(f"{args} failed: {out.stdout}\n{out.stderr}")
    return out


@pytest.fixture
def installation(chain, deployment, actors, settings, tmp_path):
    """A data dir with the deployment manifest and the platform's and first library's keys."""
    data = tmp_path / "data"
    s = Settings(rpc_url=settings.rpc_url, data_dir=data, keystore_password="pw")
    manifest_io.save(deployment, s.manifest_path)
    keystore.create(s.keystore_path, "platform", "pw", private_key=actors.platform.key, fast=True)
    keystore.create(s.keystore_path, "lib1", "pw", private_key=actors.library.key, fast=True)
    env = dict(os.environ)
    env.update(
        LIBLEDGER_RPC_URL=settings.rpc_url,
        LIBLEDGER_DATA_DIR=str(data),
        LIBLEDGER_KEYSTORE_PASSWORD="pw",
        LIBLEDGER_KEY_PASSPHRASE=PASSPHRASE,
        COLUMNS="250",
    )
    return s, env


def test_keys_register_verify_check_open_trace(chain, actors, installation, files, tmp_path):
    s, env = installation
    out = run(["keys", "x25519", "--member", "LIBLEDGER-PLATFORM"], env).stdout
    assert "published on chain" in out and "platform stamp key" in out
    out = run(["keys", "x25519", "--member", "CN-330000-ZJL"], env).stdout
    lib_key = member_key_path(s, "CN-330000-ZJL")
    assert lib_key.exists() and f"{lib_key}" in out.replace("\n", "")
    assert chain.contract("Consortium").call("member", actors.library.address)["x25519PublicKey"] != bytes(32)

    store, keyring = LocalContentStore(s.content_path), WorkKeyring.for_settings(s)
    reg = register_file(
        chain=chain, publisher=actors.publisher, path=files["epub"], title="A Test Book", creators=["Test Author"],
        language="en", store=store, keyring=keyring,
    )

    out = run(["verify", str(files["epub"])], env).stdout
    assert f"work {reg.work_id}" in out and actors.publisher.address in out
    assert f"block {reg.block_number}" in out and reg.tx_hash in out and "100.00%" in out

    missing = run(["verify", str(files["epub_unrelated"])], env, check=False)
    assert missing.returncode == 3 and "not registered" in missing.stdout

    assert f"registered as work {reg.work_id}" in run(["check", str(files["epub"])], env).stdout
    near = run(["check", str(files["epub_edited"])], env).stdout
    assert "near duplicates within 12 bits" in near and f"│ {reg.work_id} " in near
    assert "not held" in run(["check", str(files["epub_unrelated"])], env).stdout

    terms_id = offer_terms(chain, actors.publisher, reg.work_id)
    licence_id = acquire(chain, actors.library, reg.work_id, terms_id)
    loan_id = checkout(chain, actors.library, licence_id)
    platform = load_platform_keys(s, chain, PASSPHRASE)
    package = deliver_loan(chain=chain, loan_id=loan_id, keyring=keyring, platform=platform).save(tmp_path / "loan.json")

    copy = tmp_path / "copy.epub"
    out = run(["open", str(package), "--key", str(lib_key), "--out", str(copy)], env).stdout
    assert f"opened loan {loan_id}" in out and extract_text(copy) == extract_text(files["epub"])

    out = run(["trace", str(copy)], env).stdout
    assert "confirmed on chain" in out and f"loan {loan_id}" in out and "CN-330000-ZJL" in out
    assert "图书馆 CN-330000-ZJL" in out and str(licence_id) in out

    # --- expected failures: one clear line each
    bad = dict(env, LIBLEDGER_KEY_PASSPHRASE="wrong")
    assert_one_line_error(run(["open", str(package), "--key", str(lib_key)], bad, check=False), "Wrong passphrase")
    other = tmp_path / "other.x25519.json"
    keystore.create(s.keystore_path, "lib2", "pw", private_key=actors.libraries[1].key, fast=True)
    run(["keys", "x25519", "--member", "CN-330100-HZL", "--out", str(other)], env)
    assert_one_line_error(run(["open", str(package), "--key", str(other)], env, check=False), "sealed for another member")

    tampered = tmp_path / "tampered.epub"
    with zipfile.ZipFile(copy) as zin, zipfile.ZipFile(tampered, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == EPUB_STAMP_ENTRY:
                doc = json.loads(data)
                doc["stamp"]["loan_id"] = "loan:999"
                data = json.dumps(doc).encode()
            zout.writestr(info, data)
    assert_one_line_error(run(["trace", str(tampered)], env, check=False), "not genuine", "altered")
    assert_one_line_error(run(["trace", str(files["epub"])], env, check=False), "No loan stamp")


def test_expected_failures_are_one_line(installation, files, tmp_path):
    s, env = installation
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert_one_line_error(run(["verify", str(empty)], env, check=False), "is empty")
    png = tmp_path / "cover.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    assert_one_line_error(run(["check", str(png)], env, check=False), "not supported")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(files["pdf"].read_bytes()[:300])
    assert_one_line_error(run(["check", str(broken)], env, check=False), "damaged")
    assert_one_line_error(run(["keys", "x25519", "--member", "XX-NOBODY"], env, check=False), "no consortium member")
    assert_one_line_error(run(["trace", str(files["epub"])], env, check=False), "no trusted platform stamp key")
    shutil.rmtree(s.data_path / "keystore")
    assert_one_line_error(run(["keys", "x25519", "--member", "CN-330000-ZJL"], env, check=False), "no key for CN-330000-ZJL")


def test_real_entry_point_runs_the_commands(installation, files):
    s, env = installation
    proc = run_subprocess(["verify", str(files["epub_unrelated"])], env, check=False)
    assert proc.returncode == 3 and "not registered" in proc.stdout
    empty = s.data_path / "empty.txt"
    empty.write_bytes(b"")
    assert_one_line_error(run_subprocess(["check", str(empty)], env, check=False), "is empty")
