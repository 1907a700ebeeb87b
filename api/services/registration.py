"""Register a file as a work through ``ledger.registration.register_file`` for the API's users
(the console's upload and ``libledger works register FILE``): content store, canonical metadata
record, sealed keys, then ``registerWork``; near duplicates come from the mirror's works (all of
them, not the newest few: one query of (id, ISCC) pairs and one array copy; 1.1-1.7 s for 100,000
works on SQLite measured at load average ~11 on the shared 2-core machine)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, Iterable, Sequence

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from ledger.mirror.models import Work
from rights.similarity import NearDuplicateIndex, code_body

from ..problems import Problem

# A 64-bit ISCC Content-Code on chain: 2 header bytes (main type CONTENT = 0b0010 in the first
# nibble) + 8 body bytes, stored as "0x" + 20 hex digits.
_CONTENT_CODE_HEX = "0x2%"
_CONTENT_CODE_LEN = 2 + 2 * 10


def _content_body(iscc_hex: str) -> int | None:
    """The 64-bit Content-Code body of an on-chain ISCC (raw header + body), if it is one."""
    try:
        raw = bytes.fromhex(iscc_hex[2:] if iscc_hex.startswith("0x") else iscc_hex)
        return code_body("ISCC:" + base64.b32encode(raw).decode().rstrip("="))
    except Exception:  # noqa: BLE001 - other kinds of code (meta, data) have no text body to compare
        return None


def mirror_index(session: Session) -> NearDuplicateIndex:
    """Near-duplicate index of every registered work with an ISCC Content-Code, from the mirror."""
    rows = session.execute(
        select(cast(Work.work_id, String), Work.iscc_code)  # the id as text: no Amount conversion per row
        .where(Work.iscc_code.like(_CONTENT_CODE_HEX), func.length(Work.iscc_code) == _CONTENT_CODE_LEN)
    ).all()
    items = []
    for work_id, iscc in rows:
        # header byte 2: version 0, 64 bits: the body is the last 8 bytes (iscc-core's decoder
        # costs ~50 us a code, too slow for 100,000 works); any other header goes through it
        body = int(iscc[6:], 16) if iscc[4:6] == "01" else _content_body(iscc)
        if body is not None:
            items.append((work_id, body))
    index = NearDuplicateIndex(capacity=max(1024, len(items)))
    index.add_many(items)
    return index


def register_path(
    rt: Any, session: Session, *, actor: Any, path: Path, title: str, creators: Sequence[str], language: str,
    identifiers: Iterable[tuple[str, str]] = (), max_distance: int | None = None,
) -> Any:
    """Register the file at ``path`` as a work of ``actor`` (a publisher whose key is in the
    keystore; any other role is a 403 before anything is stored); returns ``ledger.registration.Registration``. A document that cannot be read or
    described is a 422 problem; an exact duplicate is the contract's ``WorkAlreadyRegistered``.
    The title goes to the API's catalogue so title search finds the work. Registered works whose
    ISCC Text-Code is within ``max_distance`` bits (default ``DEFAULT_MAX_DISTANCE``, 12) are
    reported in the result's ``near_duplicates`` with their distance."""
    from ledger.delivery import EncryptionKeyMissing, WorkKeyring
    from ledger.registration import DEFAULT_MAX_DISTANCE, register_file
    from rights.errors import RightsError, UnsupportedMediaType
    from rights.store import LocalContentStore

    from ..tokens import WorkCatalogue
    from .writes import nfc

    from .common import require_role

    require_role(rt, actor, "publisher", "registering a work")
    publisher = rt.signer(actor.member)
    try:
        reg = register_file(
            chain=rt.chain, publisher=publisher, path=path, title=title, creators=list(creators), language=language,
            identifiers=list(identifiers), store=LocalContentStore(rt.settings.content_path),
            keyring=WorkKeyring.for_settings(rt.settings), index=mirror_index(session),
            max_distance=DEFAULT_MAX_DISTANCE if max_distance is None else max_distance,
        )
    except UnsupportedMediaType as exc:
        raise Problem(415, "unsupported-media-type", "Unsupported file type", str(exc)) from None
    except RightsError as exc:
        raise Problem(422, "invalid-document", "Not a registrable document", str(exc)) from None
    except EncryptionKeyMissing as exc:  # the platform (or publisher) key is not on chain yet
        raise Problem(409, "encryption-key-missing", "Encryption key not published", str(exc)) from None
    with rt.writing() as s:  # the title, for search (the chain keeps only the metadata URI)
        s.merge(WorkCatalogue(work_id=reg.work_id, title=nfc(title), title_key=nfc(title).casefold()[:512]))
        s.commit()
    return reg
