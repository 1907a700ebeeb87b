"""Attestations: auditors' reports anchored on chain, with their subject."""

from __future__ import annotations

from ..decode import LogEvent
from ..models import AttestationRow
from ..store import Store
from . import on

SUBJECT = ("Work", "Library", "Period", "Deployment")


@on("Attestations:ReportAnchored")
def report_anchored(ev: LogEvent, db: Store) -> None:
    a = ev.args
    db.put(AttestationRow, {
        "attestation_id": int(a["attestationId"]), "auditor": a["auditor"], "subject_kind": SUBJECT[int(a["subject"])],
        "subject_id": int(a["subjectId"]), "report_hash": a["reportHash"], "report_uri": a["reportURI"],
        "anchored_at": ev.timestamp, "tx_hash": ev.tx_hash, "block_number": ev.block_number,
    })
