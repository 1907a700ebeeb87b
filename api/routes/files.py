"""Files by upload: ``POST /works/file`` (register a file: content store, canonical metadata
record, chain; near duplicates reported with their distance), ``POST /works/check`` ("do we
already hold this?") and ``POST /audit/verify`` (a file's registration, looked up directly on
chain, not in the mirror).

Uploads are streamed to a temporary file in chunks (never read whole into memory) and removed
after the answer; bad files (corrupt EPUB/PDF, empty, unsupported type) are 4xx problems.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi import Path as PathParam

from ledger.registration import check_file, index_from_chain
from ledger.verification import verify_file
from rights.errors import CorruptDocument, EmptyDocument, RightsError, UnsupportedMediaType

from ..deps import ChainDep, CurrentMember, RuntimeDep, SessionDep
from ..problems import Problem

router = APIRouter(tags=["audit"])

MAX_UPLOAD_BYTES = int(os.environ.get("LIBLEDGER_MAX_UPLOAD_BYTES", str(2 * 1024**3)))  # 2 GiB
CHUNK = 1 << 20


@contextmanager
def _saved(upload: UploadFile) -> Iterator[Path]:
    fd, name = tempfile.mkstemp(prefix="libledger-upload-")
    try:
        size = 0
        with os.fdopen(fd, "wb") as f:
            while chunk := upload.file.read(CHUNK):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise Problem(413, "file-too-large", "File too large", f"the file exceeds {MAX_UPLOAD_BYTES} bytes")
                f.write(chunk)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _file_problem(exc: RightsError) -> Problem:
    if isinstance(exc, UnsupportedMediaType):
        return Problem(415, "unsupported-media-type", "Unsupported file type", str(exc))
    if isinstance(exc, (CorruptDocument, EmptyDocument)):
        return Problem(422, "unreadable-file", "Unreadable file", str(exc))
    return Problem(422, "bad-file", "Bad file", str(exc))


def _fingerprint_json(fp: Any) -> dict[str, Any]:
    return fp.as_dict() if hasattr(fp, "as_dict") else {"sha256": fp.sha256_hex}


@router.post("/works/check", summary="Do we already hold this file? Exact match on chain and near duplicates (ISCC)")
def check(
    chain: ChainDep,
    me: CurrentMember,
    file: Annotated[UploadFile, File(description="EPUB, PDF or plain text")],
    max_distance: Annotated[int, Query(ge=0, le=32, description="Hamming distance in bits for near duplicates")] = 12,
) -> Any:
    with _saved(file) as path:
        try:
            result = check_file(chain=chain, path=path, index=index_from_chain(chain), max_distance=max_distance)
        except RightsError as exc:
            raise _file_problem(exc) from None
    return {
        "held": result.held,
        "existing_work_id": result.existing_work_id,
        "near_duplicates": [{"work_id": int(n.work_id), "distance": n.distance} for n in result.near_duplicates],
        "fingerprint": _fingerprint_json(result.fingerprint),
    }


MaxDistance = Annotated[int, Query(ge=0, le=64, description="Hamming distance in bits (ISCC Text-Code) within which registered works are near duplicates")]


@router.post("/works/file", status_code=201, tags=["works"],
             summary="Register a file (publisher): fingerprints, encrypted content + metadata record in the store, then the chain")
def register_upload(
    rt: RuntimeDep,
    session: SessionDep,
    me: CurrentMember,
    file: Annotated[UploadFile, File(description="the work's canonical file: EPUB, PDF or plain text")],
    title: Annotated[str, Form(min_length=1, max_length=300)],
    creators: Annotated[list[str], Form(min_length=1, max_length=32, description="creators, e.g. 余华 (one field each)")],
    language: Annotated[str, Form(min_length=2, max_length=35, description="BCP 47, e.g. zh, zh-Hant, en")] = "zh",
    isbn: Annotated[list[str] | None, Form(max_length=16, description="ISBN-10/13 (validated)")] = None,
    max_distance: MaxDistance = 12,
) -> Any:
    """An exact duplicate (same SHA-256) is the contract's ``WorkAlreadyRegistered`` with the
    existing workId (409), nothing stored; a corrupt, empty or unsupported file is a 422/415
    problem, nothing stored; registered works within ``max_distance`` bits are listed with their
    distance. The upload is streamed to a temporary file (never held in memory)."""
    from ..services.registration import register_path

    with _saved(file) as path:
        reg = register_path(rt, session, actor=me, path=path, title=title, creators=creators, language=language,
                            identifiers=[("isbn", i) for i in isbn or []], max_distance=max_distance)
    return {
        "work_id": reg.work_id,
        "tx_hash": reg.tx_hash,
        "block_number": reg.block_number,
        "metadata_uri": reg.metadata_uri,
        "content_cid": reg.content_cid,
        "fingerprint": _fingerprint_json(reg.fingerprint),
        "max_distance": max_distance,
        "near_duplicates": [{"work_id": int(n.work_id), "distance": n.distance} for n in reg.near_duplicates],
    }


@router.get("/content/{cid}", tags=["content"], summary="An object of the content store (encrypted work content, metadata records), verified against its CID",
            responses={200: {"content": {"application/octet-stream": {}}, "description": "the object's bytes"}})
def content(rt: RuntimeDep, me: CurrentMember, cid: Annotated[str, PathParam(min_length=46, max_length=128, pattern=r"^[A-Za-z0-9]+$")]) -> Any:
    """Streams the object in chunks after checking it against its CID (a damaged object is a 500
    problem before any byte is sent, never wrong bytes)."""
    from fastapi.responses import StreamingResponse

    from rights.errors import ContentCorrupted, ContentNotFound, InvalidCid
    from rights.store import LocalContentStore

    store = LocalContentStore(rt.settings.content_path)
    try:
        with store.open(cid) as chunks:  # pass 1: verify (the store raises at the end on a mismatch)
            for _ in chunks:
                pass
    except InvalidCid as exc:
        raise Problem(422, "invalid-cid", "Not a CID", str(exc)) from None
    except ContentNotFound:
        raise Problem(404, "not-found", "Not found", f"no object {cid} in this content store") from None
    except ContentCorrupted as exc:
        raise Problem(500, "content-corrupted", "Stored object damaged", str(exc)) from None

    def stream() -> Iterator[bytes]:
        with store.open(cid) as chunks:
            yield from chunks

    return StreamingResponse(stream(), media_type="application/octet-stream")


@router.post("/audit/verify", summary="Verify a file against the chain directly: registrant, block, time, holders, terms, disputes")
def verify(chain: ChainDep, me: CurrentMember, file: Annotated[UploadFile, File(description="any file")]) -> Any:
    with _saved(file) as path:
        try:
            v = verify_file(chain=chain, path=path)
        except RightsError as exc:
            raise _file_problem(exc) from None
    out = {k: getattr(v, k) for k in ("registered", "as_of_block", "work_id", "registrant", "holder", "status",
                                      "registration_block", "registration_time", "registration_tx", "iscc_code", "metadata_uri")}
    out["summary"] = v.summary
    out["fingerprint"] = _fingerprint_json(v.fingerprint)
    out["payees"] = [dataclasses.asdict(p) for p in v.payees]
    out["terms"] = [dataclasses.asdict(t) for t in v.terms]
    out["disputes"] = [dataclasses.asdict(d) for d in v.disputes]
    return out
