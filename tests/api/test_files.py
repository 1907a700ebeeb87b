"""File checks by upload: "do we already hold this?" and verification against the chain."""

from __future__ import annotations

import random

import pytest

from ledger.registration import iscc_bytes, text_fingerprint
from tests.api.test_cli import platform_key  # noqa: F401  (fixture: the platform's X25519 key on chain)

WORDS = ("library consortium reader borrow return loan licence copy digital province archive "
         "catalogue rights holder publisher work edition chapter volume shelf collection").split()


def book(seed: int, n: int = 4000) -> str:
    rnd = random.Random(seed)
    return " ".join(rnd.choice(WORDS) for _ in range(n))


def register(api, path) -> int:
    fp = text_fingerprint(path)
    r = api.post("/works", "PUB-ZJPP", {"content_hash": "0x" + fp.sha256_hex, "iscc": "0x" + iscc_bytes(fp.iscc_content).hex(),
                                        "metadata_uri": "ipfs://bafy-file", "title": "上传的书"})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def upload(api, path, endpoint, who="CN-330000-ZJL", **params):
    with open(path, "rb") as f:
        return api.client.post(endpoint, headers=api.h(who), files={"file": (path.name, f, "application/octet-stream")}, params=params)


def test_check_and_verify_by_upload(api, tmp_path):
    original = tmp_path / "book.txt"
    text = book(1 if api.backend == "sqlite" else 2)
    original.write_text(text)
    work_id = register(api, original)

    r = upload(api, original, "/works/check")
    assert r.status_code == 200, r.text
    assert r.json()["held"] and r.json()["existing_work_id"] == work_id

    edited = tmp_path / "edited.txt"
    edited.write_text(text.replace("library", "libraries", 3))
    r = upload(api, edited, "/works/check")
    body = r.json()
    assert body["existing_work_id"] is None
    assert any(n["work_id"] == work_id for n in body["near_duplicates"]), body

    unrelated = tmp_path / "other.txt"
    unrelated.write_text(" ".join(reversed(book(99).split()))[::-1])
    assert all(n["work_id"] != work_id for n in upload(api, unrelated, "/works/check").json()["near_duplicates"])

    r = upload(api, original, "/audit/verify", who="AUDIT-ZJ")
    v = r.json()
    assert r.status_code == 200 and v["registered"] and v["work_id"] == work_id
    assert v["registrant"] == api.accounts["PUB-ZJPP"] and v["registration_tx"].startswith("0x")
    r = upload(api, unrelated, "/audit/verify", who="AUDIT-ZJ")
    assert r.status_code == 200 and r.json()["registered"] is False and "not registered" in r.json()["summary"]


def test_bad_files_are_clear_problems(api, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    r = upload(api, empty, "/works/check")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    corrupt = tmp_path / "broken.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    r = upload(api, corrupt, "/works/check")
    assert r.status_code in (415, 422) and r.json()["detail"]
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 64)
    assert upload(api, binary, "/works/check").status_code == 415
    assert upload(api, binary, "/audit/verify", who="AUDIT-ZJ").json()["registered"] is False
    r = api.client.post("/audit/verify", files={"file": ("x.txt", b"abc", "text/plain")})
    assert r.status_code == 401


def test_check_survives_works_registered_with_non_iscc_codes(api, tmp_path):
    """Any member may put arbitrary bytes in isccCode; the near-duplicate index skips them."""
    r = api.post("/works", "PUB-ZJPP", {"content_hash": "0x" + "5a" * 32, "iscc": "0x" + "ff" * 16, "metadata_uri": "ipfs://junk", "title": "垃圾码"}) \
        if api.backend == "sqlite" else None
    assert r is None or r.status_code == 201, r.text
    f = tmp_path / "a.txt"
    f.write_text(book(7))
    assert upload(api, f, "/works/check").status_code == 200


def _register_upload(api, path, who="PUB-ZJPP", title="登记上传", **params):
    with open(path, "rb") as f:
        return api.client.post("/works/file", headers=api.h(who), params=params,
                               files={"file": (path.name, f, "application/octet-stream")},
                               data={"title": title, "creators": ["张岱", "李渔"], "language": "zh", "isbn": ["978-7-02-000220-7"]})


def _stored(api) -> list[str]:
    from pathlib import Path

    root = Path(api.settings.content_path)
    return sorted(str(p) for p in root.rglob("*")) if root.exists() else []


def test_register_by_upload_reports_near_duplicates_with_their_distance(api, platform_key, tmp_path):
    import json as jsonlib
    import time

    from rights.similarity import code_body, hamming
    from rights.store import LocalContentStore
    from tests.rights.conftest import edit_words, make_epub, prose

    seed = 3100 if api.backend == "sqlite" else 3200
    chapters = [(f"第{i}章", prose(seed + i, 600)) for i in range(1, 4)]
    original = make_epub(tmp_path / "original.epub", title="上传原本", language="zh", chapters=chapters)
    r = _register_upload(api, original, title=f"上传原本 {api.backend}")
    assert r.status_code == 201, r.text
    first = r.json()
    work_id = first["work_id"]
    assert first["fingerprint"]["sha256"] == text_fingerprint(original).sha256_hex
    # the canonical metadata record is in the store; its URI went on chain (read back from the mirror)
    record = jsonlib.loads(LocalContentStore(api.settings.content_path).get(first["metadata_uri"].removeprefix("ipfs://")))
    assert record["title"] == f"上传原本 {api.backend}" and record["creators"] == ["张岱", "李渔"]
    deadline = time.monotonic() + 30
    while (w := api.get(f"/works/{work_id}")).status_code != 200:
        assert time.monotonic() < deadline, w.text
        time.sleep(0.1)
    assert w.json()["data"]["metadata_uri"] == first["metadata_uri"]

    def edited(name: str, edit_seed: int):  # noqa: ANN202
        path = make_epub(tmp_path / name, title="上传原本", language="zh", chapters=[(h, edit_words(b, 20, edit_seed)) for h, b in chapters])
        return path, hamming(code_body(text_fingerprint(original).iscc_content), code_body(text_fingerprint(path).iscc_content))

    copy, bits = edited("edited.epub", 7)
    assert 0 < bits <= 12
    r = _register_upload(api, copy, title=f"上传改本 {api.backend}")
    assert r.status_code == 201, r.text
    assert {"work_id": work_id, "distance": bits} in r.json()["near_duplicates"] and r.json()["max_distance"] == 12
    copy_id = r.json()["work_id"]

    # the threshold is the caller's: just below the distance, the original is not reported
    other, bits = edited("edited-again.epub", 11)
    r = _register_upload(api, other, title=f"上传二改 {api.backend}", max_distance=bits - 1)
    assert r.status_code == 201, r.text
    assert all(n["work_id"] != work_id for n in r.json()["near_duplicates"])

    # an exact duplicate: refused with the existing workId, nothing stored
    before = _stored(api)
    r = _register_upload(api, copy, title="重复")
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["error"] == "WorkAlreadyRegistered" and r.json()["args"]["workId"] == copy_id
    assert _stored(api) == before


def test_register_by_upload_refuses_bad_files_and_non_publishers_storing_nothing(api, platform_key, tmp_path):
    from tests.rights.conftest import make_epub, prose

    before = _stored(api)
    empty = tmp_path / "empty.epub"
    empty.write_bytes(b"")
    png = tmp_path / "cover.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    zipped = tmp_path / "broken.epub"
    zipped.write_bytes(b"PK\x03\x04 not really a zip")
    for path, status in ((empty, 422), (png, 415), (broken, 422), (zipped, 415)):
        r = _register_upload(api, path, title="坏文件")
        assert r.status_code == status, (path.name, r.text)
        assert r.headers["content-type"].startswith("application/problem+json") and r.json()["detail"]
    book = make_epub(tmp_path / "lib.epub", title="图书馆不能登记", language="zh", chapters=[("第一章", prose(3300, 500))])
    r = _register_upload(api, book, who="CN-330000-ZJL", title="图书馆不能登记")
    assert r.status_code == 403, r.text
    r = api.client.post(
        "/works/file", headers=api.h("PUB-ZJPP"), files={"file": ("b.epub", book.read_bytes(), "application/epub+zip")}, data={"title": "没有作者"})
    assert r.status_code == 422  # creators are required
    assert _stored(api) == before
    assert api.get("/works", params={"title": "坏文件"}).json()["items"] == []


@pytest.mark.parametrize("api", ["sqlite"], indirect=True)
def test_verify_reads_the_chain_directly_not_the_mirror(api, tmp_path):
    """A second service on the same chain with an empty mirror and no indexer: its mirror knows no
    work at all, yet /audit/verify names the registration, straight from the contracts."""
    from fastapi.testclient import TestClient

    from api import tokens
    from api.config import ApiSettings
    from api.main import create_app
    from api.runtime import Runtime

    original = tmp_path / "book.txt"
    original.write_text(book(41))
    work_id = register(api, original)
    settings = ApiSettings(**{**api.settings.model_dump(), "database_url": f"sqlite:///{tmp_path / 'empty-mirror.sqlite'}"})
    rt = Runtime.open(settings)
    try:
        with TestClient(create_app(settings, runtime=rt, start_indexer=False), raise_server_exceptions=False) as client:
            with rt.writing() as s:
                token, _ = tokens.create(s, member="AUDIT-ZJ", account=rt.address_of("AUDIT-ZJ"), name="empty mirror")
            h = {"Authorization": f"Bearer {token}"}
            assert client.get(f"/works/{work_id}", headers=h).status_code == 404  # not in this mirror
            with open(original, "rb") as f:
                r = client.post("/audit/verify", headers=h, files={"file": ("book.txt", f, "text/plain")})
            assert r.status_code == 200, r.text
            v = r.json()
            assert v["registered"] and v["work_id"] == work_id and v["registrant"] == api.accounts["PUB-ZJPP"]
            assert v["registration_block"] >= 1 and v["as_of_block"] >= v["registration_block"]
    finally:
        rt.close()
