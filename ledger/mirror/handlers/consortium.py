"""Consortium: members, their roles, the platform treasury."""

from __future__ import annotations

from ...roles import NAME_OF
from ..decode import LogEvent
from ..models import Member, MemberRole
from ..store import Store
from . import on
from .common import set_setting

_ROLE_NAMES = {"0x" + k.hex(): v for k, v in NAME_OF.items()}


@on("Consortium:MemberAdmitted")
def member_admitted(ev: LogEvent, db: Store) -> None:
    a = ev.args
    db.put(Member, {
        "account": a["account"], "institution_id": a["institutionId"], "name": a["name"], "status": "Active",
        "suspended_reason": None, "x25519_public_key": None,
        "admitted_block": ev.block_number, "admitted_at": ev.timestamp, "block_number": ev.block_number,
    })


@on("Consortium:MemberSuspended")
def member_suspended(ev: LogEvent, db: Store) -> None:
    db.update(Member, ev.args["account"], status="Suspended", suspended_reason=ev.args["reason"], block_number=ev.block_number)


@on("Consortium:MemberReinstated")
def member_reinstated(ev: LogEvent, db: Store) -> None:
    db.update(Member, ev.args["account"], status="Active", suspended_reason=None, block_number=ev.block_number)


@on("Consortium:MemberRenamed")
def member_renamed(ev: LogEvent, db: Store) -> None:
    db.update(Member, ev.args["account"], name=ev.args["name"], block_number=ev.block_number)


@on("Consortium:EncryptionKeySet")
def encryption_key_set(ev: LogEvent, db: Store) -> None:
    db.update(Member, ev.args["account"], x25519_public_key=ev.args["x25519PublicKey"], block_number=ev.block_number)


@on("Consortium:PlatformTreasurySet")
def platform_treasury_set(ev: LogEvent, db: Store) -> None:
    set_setting(db, ev, "platformTreasury", ev.args["current"])


@on("Consortium:RoleGranted")
def role_granted(ev: LogEvent, db: Store) -> None:
    a = ev.args
    db.put(MemberRole, {
        "account": a["account"], "role": a["role"], "role_name": _ROLE_NAMES.get(a["role"], a["role"]),
        "granted_by": a["sender"], "block_number": ev.block_number,
    })


@on("Consortium:RoleRevoked")
def role_revoked(ev: LogEvent, db: Store) -> None:
    db.delete(MemberRole, ev.args["account"], ev.args["role"])
