"""Licensing: published terms, terms offered per work, licences (copies in use, loans, expiry)."""

from __future__ import annotations

from ..decode import LogEvent
from ..models import Licence, LicenceTerms, WorkOffer
from ..store import Store
from . import on
from .common import set_setting

TERMS_KIND = ("PerpetualCopies", "PerLoanMetered", "Subscription")


@on("Licensing:TermsPublished")
def terms_published(ev: LogEvent, db: Store) -> None:
    a = ev.args
    t = a["terms"]
    db.put(LicenceTerms, {
        "terms_id": int(a["termsId"]), "terms_hash": a["termsHash"], "publisher": a["publisher"], "kind": TERMS_KIND[int(t["kind"])],
        "price": int(t["price"]), "copies": int(t["copies"]), "loan_period": int(t["loanPeriod"]),
        "max_loans_per_copy": int(t["maxLoansPerCopy"]), "duration": int(t["duration"]), "territory": t["territory"],
        "ill_allowed": bool(t["illAllowed"]), "fee_bps": int(t["feeBps"]), "legal_text_hash": t["legalTextHash"],
        "legal_text_uri": a["legalTextURI"], "published_tx": ev.tx_hash, "block_number": ev.block_number,
    })


@on("Licensing:TermsAttached")
def terms_attached(ev: LogEvent, db: Store) -> None:
    a = ev.args
    db.put(WorkOffer, {
        "work_id": int(a["workId"]), "terms_id": int(a["termsId"]), "offer_id": int(a["offerId"]), "holder": a["holder"],
        "enabled": True, "attached_block": ev.block_number, "block_number": ev.block_number,
    })


@on("Licensing:TermsEnabledSet")
def terms_enabled_set(ev: LogEvent, db: Store) -> None:
    a = ev.args
    db.update(WorkOffer, int(a["workId"]), int(a["termsId"]), enabled=bool(a["enabled"]), block_number=ev.block_number)


@on("Licensing:DefaultFeeBpsSet")
def default_fee_bps_set(ev: LogEvent, db: Store) -> None:
    set_setting(db, ev, "defaultFeeBps", ev.args["current"])


@on("Licensing:LicenceAcquired")
def licence_acquired(ev: LogEvent, db: Store) -> None:
    a = ev.args
    db.put(Licence, {
        "licence_id": int(a["licenceId"]), "holder": a["holder"], "work_id": int(a["workId"]), "terms_id": int(a["termsId"]),
        "copies": int(a["copies"]), "active_loans": 0, "total_loans": 0, "ill_loans": 0, "valid_until": int(a["validUntil"]),
        "gross_paid": int(a["gross"]), "pool_id": int(a["poolId"]), "subsidy": int(a["subsidy"]),
        "acquired_block": ev.block_number, "acquired_at": ev.timestamp, "acquired_tx": ev.tx_hash, "block_number": ev.block_number,
    })


@on("Licensing:LicenceRenewed")
def licence_renewed(ev: LogEvent, db: Store) -> None:
    a = ev.args
    key = int(a["licenceId"])
    row = db.get(Licence, key)
    if row is not None:
        db.update(Licence, key, valid_until=int(a["validUntil"]), gross_paid=row["gross_paid"] + int(a["gross"]),
                  pool_id=int(a["poolId"]), subsidy=row["subsidy"] + int(a["subsidy"]), block_number=ev.block_number)


@on("Licensing:CopyUsed")
def copy_used(ev: LogEvent, db: Store) -> None:
    key = int(ev.args["licenceId"])
    row = db.get(Licence, key)
    if row is not None:
        ill = (row["ill_loans"] or 0) + (1 if ev.args.get("forIll") else 0)
        db.update(Licence, key, active_loans=int(ev.args["activeLoans"]), total_loans=row["total_loans"] + 1, ill_loans=ill, block_number=ev.block_number)


@on("Licensing:CopyReleased")
def copy_released(ev: LogEvent, db: Store) -> None:
    db.update(Licence, int(ev.args["licenceId"]), active_loans=int(ev.args["activeLoans"]), block_number=ev.block_number)
