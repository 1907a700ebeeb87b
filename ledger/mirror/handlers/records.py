"""Which records an event touched (``record_events``): the index of provenance and audit trails.

Runs for every decoded event after its contract's handler. The record ids come from the event's
own arguments, so replaying ``raw_events`` rebuilds exactly the same rows.
"""

from __future__ import annotations

from ..decode import LogEvent
from ..models import RecordEvent
from ..store import Store

#: contract -> (argument, record kind) pairs; an event names each record it carries.
RECORD_ARGS: dict[str, tuple[tuple[str, str], ...]] = {
    "Works": (("workId", "work"),),
    "Licensing": (("workId", "work"), ("termsId", "terms"), ("licenceId", "licence"), ("loanId", "loan")),
    "Royalties": (("workId", "work"),),
    "InterlibraryLoan": (("requestId", "ill-request"),),
    "Clearing": (("requestId", "ill-request"), ("periodId", "period")),
}
ATTESTATION_SUBJECT_WORK = 0  # Attestations.Subject.Work


def records_of(ev: LogEvent) -> list[tuple[str, int]]:
    """The (kind, id) of every record ``ev`` names."""
    a = ev.args or {}
    if ev.contract == "Attestations":
        if "subjectId" in a and int(a.get("subject", -1)) == ATTESTATION_SUBJECT_WORK:
            return [("work", int(a["subjectId"]))]
        return []
    out = []
    for key, kind in RECORD_ARGS.get(ev.contract, ()):
        if key in a and (kind, int(a[key])) not in out:
            out.append((kind, int(a[key])))
    return out


def record(ev: LogEvent, db: Store) -> None:
    """Append one ``record_events`` row per record ``ev`` names."""
    for kind, ident in records_of(ev):
        db.append(RecordEvent, {"record_kind": kind, "record_id": ident, "block_number": ev.block_number, "log_index": ev.log_index})
