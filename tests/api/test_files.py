"""File checks by upload: "do we already hold this?" and verification against the chain."""

from __future__ import annotations

import random

from ledger.registration import iscc_bytes, text_fingerprint

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
