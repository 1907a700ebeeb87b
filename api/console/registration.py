"""Fingerprint an uploaded file and look for what is already registered, before a publisher
confirms a registration: ``ledger.registration.check_file`` (exact match on chain + near
duplicates by ISCC Text-Code), with its near-duplicate index built from the mirror's works."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from rights.errors import DocumentError
from rights.similarity import NearDuplicateIndex, code_body

from ..problems import Problem
from ..services import reads

SCAN = 5000  # most recent registrations held in the near-duplicate index


def _content_body(iscc_hex: str) -> int | None:
    """The 64-bit Content-Code body of an on-chain ISCC (raw header + body), if it is one."""
    try:
        raw = bytes.fromhex(iscc_hex[2:] if iscc_hex.startswith("0x") else iscc_hex)
        return code_body("ISCC:" + base64.b32encode(raw).decode().rstrip("="))
    except Exception:  # noqa: BLE001 - other kinds of code (meta, data) have no text body to compare
        return None


def mirror_index(session: Session) -> NearDuplicateIndex:
    """Near-duplicate index of the registered works (newest ``SCAN``) from the mirror."""
    index = NearDuplicateIndex()
    works, _ = reads.list_works(session, limit=SCAN, cursor=None)
    for w in works:
        body = _content_body(w["iscc"])
        if body is not None:
            index.add(str(w["id"]), body)
    return index


def check_upload(session: Session, chain: Any, path: Path) -> dict[str, Any]:
    """{sha256, content_hash, iscc (0x raw), iscc_text, size, media_type, exact: work|None, near: [(work, bits)]}."""
    from ledger import registration

    try:
        found = registration.check_file(chain=chain, path=path, index=mirror_index(session))
    except DocumentError as exc:
        raise Problem(422, "invalid-document", "Not a registrable document", str(exc)) from None
    fp = found.fingerprint
    exact = reads.works_by_ids(session, [found.existing_work_id]) if found.existing_work_id else []
    near = []
    for n in found.near_duplicates:
        ws = reads.works_by_ids(session, [n.work_id])
        if ws:
            near.append((ws[0], n.distance))
    return {
        "sha256": fp.sha256_hex, "content_hash": fp.sha256_bytes32, "iscc_text": fp.iscc_content,
        "iscc": "0x" + registration.iscc_bytes(fp.iscc_content or "").hex(), "size": fp.size, "media_type": fp.media_type,
        "exact": exact[0] if exact else ({"id": found.existing_work_id} if found.existing_work_id else None), "near": near,
    }
