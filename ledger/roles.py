"""Role ids of the Consortium contract (the Python twin of contracts/src/access/Roles.sol)."""

from __future__ import annotations

from eth_utils import keccak

GOVERNOR = b"\x00" * 32
PUBLISHER = keccak(text="PUBLISHER_ROLE")
LIBRARY = keccak(text="LIBRARY_ROLE")
AUDITOR = keccak(text="AUDITOR_ROLE")
PLATFORM = keccak(text="PLATFORM_ROLE")
TREASURY = keccak(text="TREASURY_ROLE")
SPONSOR = keccak(text="SPONSOR_ROLE")
LEDGER = keccak(text="LEDGER_ROLE")

#: Member roles by their name in configs, the API and the CLI.
BY_NAME: dict[str, bytes] = {
    "publisher": PUBLISHER,
    "library": LIBRARY,
    "auditor": AUDITOR,
    "platform": PLATFORM,
    "treasury": TREASURY,
    "sponsor": SPONSOR,
}
NAME_OF: dict[bytes, str] = {v: k for k, v in BY_NAME.items()} | {GOVERNOR: "governor", LEDGER: "ledger"}


def role_id(name: str) -> bytes:
    """The bytes32 id of the role called ``name`` (``library``, ``publisher``, ...)."""
    try:
        return BY_NAME[name.lower()]
    except KeyError:
        raise ValueError(f"unknown role {name!r}; roles are {', '.join(BY_NAME)}") from None
