"""Events every libledger contract shares: Pausable, and governance settings as key/value rows."""

from __future__ import annotations

from ..decode import LogEvent
from ..models import ContractSetting
from ..store import Store
from . import on

#: Contracts that inherit Pausable (all of libledger's).
PAUSABLE = (
    "Consortium", "Credit", "Works", "Royalties", "SubsidyPools", "Licensing", "InterlibraryLoan", "Clearing",
    "Attestations",
)


def set_setting(db: Store, ev: LogEvent, name: str, value: object) -> None:
    db.put(ContractSetting, {"contract": ev.contract, "name": name, "value": str(value), "block_number": ev.block_number})


@on(*(f"{c}:Paused" for c in PAUSABLE))
def paused(ev: LogEvent, db: Store) -> None:
    set_setting(db, ev, "paused", "true")


@on(*(f"{c}:Unpaused" for c in PAUSABLE))
def unpaused(ev: LogEvent, db: Store) -> None:
    set_setting(db, ev, "paused", "false")
