"""SubsidyPools: sponsors' pools (funded, remaining, drawn, reclaimed) and every draw."""

from __future__ import annotations

from ..decode import LogEvent
from ..models import SubsidyDraw, SubsidyPool
from ..store import Store
from . import on


@on("SubsidyPools:PoolCreated")
def pool_created(ev: LogEvent, db: Store) -> None:
    a = ev.args
    amount = int(a["amount"])
    db.put(SubsidyPool, {
        "pool_id": int(a["poolId"]), "sponsor": a["sponsor"], "funded": amount, "remaining": amount, "drawn": 0,
        "expiry": int(a["expiry"]), "per_library_cap": int(a["perLibraryCap"]), "all_works": bool(a["allWorks"]),
        "all_libraries": bool(a["allLibraries"]), "reclaimed": False, "reclaimed_amount": 0, "created_block": ev.block_number,
        "block_number": ev.block_number,
    })


@on("SubsidyPools:PoolFunded")
def pool_funded(ev: LogEvent, db: Store) -> None:
    key, amount = int(ev.args["poolId"]), int(ev.args["amount"])
    row = db.get(SubsidyPool, key)
    if row is not None:
        db.update(SubsidyPool, key, funded=row["funded"] + amount, remaining=row["remaining"] + amount, block_number=ev.block_number)


@on("SubsidyPools:SubsidyDrawn")
def subsidy_drawn(ev: LogEvent, db: Store) -> None:
    a = ev.args
    key, subsidy = int(a["poolId"]), int(a["subsidy"])
    db.append(SubsidyDraw, {
        "block_number": ev.block_number, "log_index": ev.log_index, "tx_hash": ev.tx_hash, "block_timestamp": ev.timestamp,
        "pool_id": key, "buyer": a["buyer"], "work_id": int(a["workId"]), "price": int(a["price"]), "subsidy": subsidy,
    })
    row = db.get(SubsidyPool, key)
    if row is not None:
        db.update(SubsidyPool, key, remaining=row["remaining"] - subsidy, drawn=row["drawn"] + subsidy, block_number=ev.block_number)


@on("SubsidyPools:PoolReclaimed")
def pool_reclaimed(ev: LogEvent, db: Store) -> None:
    key, amount = int(ev.args["poolId"]), int(ev.args["amount"])
    db.update(SubsidyPool, key, remaining=0, reclaimed=True, reclaimed_amount=amount, block_number=ev.block_number)
