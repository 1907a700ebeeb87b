"""Register a work by upload, as ``ledger.registration.register_file`` does for the command line:

1. the upload is kept in a staging folder (``data_dir/console-uploads``, named by a random token)
   and checked with ``check_file`` (exact match on chain + near duplicates by ISCC Text-Code,
   index from the mirror's works); the publisher sees the fingerprint and any warning;
2. on confirmation the staged file is registered by ``register_file``: encrypted into the content
   store, canonical metadata record stored, keys sealed, ``registerWork`` sent; then the file is
   removed from staging. Staged files nobody confirmed are removed after ``STAGED_SECONDS``."""

from __future__ import annotations

import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from rights.errors import DocumentError

from ..problems import Problem
from ..services import reads
from ..services.registration import mirror_index, register_path

STAGED_SECONDS = 3600  # an upload waits this long for its confirmation
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def staging_dir(settings: Any) -> Path:
    return settings.data_path / "console-uploads"


def stage(settings: Any, source: Any, filename: str) -> tuple[str, Path]:
    """Copy an upload stream into staging; returns (token, path). Old unconfirmed uploads are removed."""
    root = staging_dir(settings)
    root.mkdir(parents=True, exist_ok=True)
    for old in root.iterdir():
        if old.is_dir() and old.stat().st_mtime < time.time() - STAGED_SECONDS:
            shutil.rmtree(old, ignore_errors=True)
    token = secrets.token_hex(16)
    folder = root / token
    folder.mkdir(mode=0o700)
    path = folder / (Path(filename).name or "upload.bin")
    with path.open("wb") as f:
        shutil.copyfileobj(source, f, 1 << 20)
    return token, path


def staged(settings: Any, token: str) -> Path:
    """The staged upload of ``token``; 404 problem if it is unknown or expired."""
    folder = staging_dir(settings) / token
    files = list(folder.iterdir()) if _TOKEN.fullmatch(token) and folder.is_dir() else []
    if len(files) != 1:
        raise Problem(404, "upload-expired", "Upload not found", "the uploaded file is no longer here: upload it again")
    return files[0]


def discard(settings: Any, token: str) -> None:
    if _TOKEN.fullmatch(token):
        shutil.rmtree(staging_dir(settings) / token, ignore_errors=True)


def register_staged(rt: Any, session: Session, *, actor: Any, token: str, content_hash: str, title: str, creators: list[str], language: str) -> Any:
    """Register the staged upload through ``register_file`` (content store, metadata, sealed keys,
    chain) as a work of ``actor`` (its custodial key); returns the ``Registration``. The file must
    still be the one whose fingerprint the publisher confirmed (``content_hash``)."""
    import hashlib

    path = staged(rt.settings, token)
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    if "0x" + h.hexdigest() != content_hash:
        raise Problem(409, "upload-changed", "The file changed", "the staged file is not the one whose fingerprint was shown")
    publisher = rt.signer(actor.member)
    if publisher.address.lower() != actor.account.lower():
        raise Problem(409, "key-mismatch", "Key does not match the member", f"the keystore key {actor.member} is not the member's account {actor.account}")
    reg = register_path(rt, session, actor=actor, path=path, title=title, creators=creators, language=language)
    discard(rt.settings, token)
    return reg


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
