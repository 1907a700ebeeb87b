"""Register a file as a work through ``ledger.registration.register_file`` for the API's users
(the console's upload and ``libledger works register FILE``): content store, canonical metadata
record, sealed keys, then ``registerWork``; near duplicates come from the mirror's works."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, Iterable, Sequence

from sqlalchemy.orm import Session

from rights.similarity import NearDuplicateIndex, code_body

from ..problems import Problem
from . import reads

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


def register_path(
    rt: Any, session: Session, *, actor: Any, path: Path, title: str, creators: Sequence[str], language: str,
    identifiers: Iterable[tuple[str, str]] = (),
) -> Any:
    """Register the file at ``path`` as a work of ``actor`` (a publisher whose key is in the
    keystore; any other role is a 403 before anything is stored); returns ``ledger.registration.Registration``. A document that cannot be read or
    described is a 422 problem; an exact duplicate is the contract's ``WorkAlreadyRegistered``.
    The title goes to the API's catalogue so title search finds the work."""
    from ledger.delivery import WorkKeyring
    from ledger.registration import register_file
    from rights.errors import RightsError
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
        )
    except RightsError as exc:
        raise Problem(422, "invalid-document", "Not a registrable document", str(exc)) from None
    with rt.writing() as s:  # the title, for search (the chain keeps only the metadata URI)
        s.merge(WorkCatalogue(work_id=reg.work_id, title=nfc(title), title_key=nfc(title).casefold()[:512]))
        s.commit()
    return reg
