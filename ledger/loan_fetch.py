"""A library fetches its loan from the platform's service: the loan package
(``GET /loans/{id}/package`` or ``/ill/requests/{id}/package``) and the encrypted content
(``GET /content/{cid}``), streamed into the library's own content store, which checks it
against its CID. Used by ``libledger open LOAN``."""

from __future__ import annotations

import re
from typing import Any

import httpx

from rights.store import ContentStore

from .delivery import DeliveryError, LoanPackage

_LOAN = re.compile(r"^(?:(ill):)?([0-9]{1,78})$")


def parse_loan_ref(ref: str) -> tuple[str, int] | None:
    """``"42"`` -> ("loan", 42); ``"ill:123"`` -> ("ill", 123); anything else None."""
    m = _LOAN.fullmatch(ref.strip())
    return (m.group(1) or "loan", int(m.group(2))) if m else None


def _problem(resp: httpx.Response, what: str) -> DeliveryError:
    try:
        detail = resp.json().get("detail") or resp.text
    except ValueError:
        detail = resp.text[:200]
    return DeliveryError(f"{what}: the service answered {resp.status_code}: {detail}")


def fetch_package(client: httpx.Client, kind: str, loan_id: int) -> LoanPackage:
    """The package of digital loan / digital ILL request ``loan_id`` for the caller's library."""
    path = f"/loans/{loan_id}/package" if kind == "loan" else f"/ill/requests/{loan_id}/package"
    resp = client.get(path)
    if resp.status_code != 200:
        raise _problem(resp, f"no package for {'loan' if kind == 'loan' else 'ILL request'} {loan_id}")
    return LoanPackage.from_json(resp.content)


def fetch_content(client: httpx.Client, cid: str, store: ContentStore) -> None:
    """Stream object ``cid`` from the service into ``store`` (never whole in memory); the store
    computes the CID of what it received, which must be ``cid``."""
    with client.stream("GET", f"/content/{cid}") as resp:
        if resp.status_code != 200:
            resp.read()
            raise _problem(resp, f"no content {cid}")
        got = store.put(_Reader(resp.iter_bytes(1 << 20)))
    if got != cid:
        raise DeliveryError(f"the service sent other bytes than content {cid} (got {got})")


def service_client(api_url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=api_url.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=60)


class _Reader:
    """A file-like ``read`` over an iterator of chunks (what ``ContentStore.put`` takes)."""

    def __init__(self, chunks: Any) -> None:
        self._chunks = chunks
        self._buf = b""

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buf) < n:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buf += chunk
        if n < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out
