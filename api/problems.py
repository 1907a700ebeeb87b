"""Every error as ``application/problem+json`` (RFC 9457).

Members: ``type`` (a URI naming the kind of problem), ``title`` (the kind in words), ``status``,
``detail`` (this occurrence in words), ``instance`` (the request path), plus extension members:
``error``/``args``/``contract`` for a contract's custom error, ``errors`` for invalid input,
``role`` for a missing role. Expected failures never become a 500 with a traceback.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.errors import (
    ConfigError,
    ContractRevert,
    KeystoreError,
    LedgerError,
    ManifestError,
    NodeUnreachable,
    TransactionRejected,
)

log = logging.getLogger("api")

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://libledger.org/problems/"


class Problem(Exception):
    """An expected failure the API answers with a problem document."""

    def __init__(self, status: int, slug: str, title: str, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.extensions = extensions
        self.headers: dict[str, str] = {}


def not_found(what: str, ident: Any) -> Problem:
    return Problem(404, "not-found", "Not found", f"no {what} {ident} in the mirror", resource=what, id=str(ident))


def forbidden_role(role: str, member: str, action: str) -> Problem:
    return Problem(
        403, "missing-role", "Role required", f"{action} needs the {role} role, which member {member} does not hold", role=role
    )


def unauthorized(detail: str) -> Problem:
    p = Problem(401, "unauthorized", "Authentication required", detail)
    p.headers["WWW-Authenticate"] = 'Bearer realm="libledger"'
    return p


def invalid(detail: str, *, field: str | None = None) -> Problem:
    errors = [{"field": field, "message": detail}] if field else []
    return Problem(422, "invalid-input", "Invalid input", detail, errors=errors)


# ------------------------------------------------------------------------------ contract reverts

#: Readable sentences for the errors people meet most; other errors are spelled out from their name.
MESSAGES: dict[str, str] = {
    "WorkAlreadyRegistered": "this content hash is already registered as work {workId}",
    "PayeeSharesNotTenThousand": "payee shares add up to {sum} basis points; they must add up to 10000",
    "PaymentTooLow": "a payment of {gross} fen is too small: the platform fee would round to zero",
    "Unauthorized": "account {account} lacks the role this action needs (or is suspended)",
    "ConsortiumUnauthorized": "account {account} lacks the role this action needs",
    "WorksUnknownWork": "there is no work {workId}",
    "WorksNotHolder": "account {account} does not hold the rights to work {workId}",
    "LicensingNotWorkHolder": "account {account} does not hold the rights to work {workId}",
    "LicensingUnknownTerms": "there are no licence terms {termsId}",
    "LicensingUnknownLicence": "there is no licence {licenceId}",
    "LicensingTermsAlreadyAttached": "terms {termsId} are already attached to work {workId}",
    "LicensingTermsNotAttached": "terms {termsId} are not attached to work {workId}",
    "LicensingTermsNotEnabled": "terms {termsId} are not on offer for work {workId}",
    "LicensingNoFreeCopy": "all {copies} copies of licence {licenceId} are on loan",
    "LicenceExhausted": "licence {licenceId} has used up its loans",
    "LicensingLicenceExpired": "licence {licenceId} expired at {validUntil}",
    "LicensingNotLicenceHolder": "account {account} does not hold licence {licenceId}",
    "LicensingIllNotAllowed": "the terms of licence {licenceId} do not allow interlibrary loans",
    "LendingUnknownLoan": "there is no loan {loanId}",
    "LendingInvalidReserve": "a reservation covers 1 to {maxGroups} loan groups, not {groups}",
    "LendingLoanNotActive": "loan {loanId} is not active (it is {status})",
    "LendingNotBorrower": "loan {loanId} belongs to another library, not {account}",
    "IllUnknownRequest": "there is no ILL request {requestId}",
    "IllDuplicateRequest": "the requester already used this request id: it is ILL request {existingId}",
    "IllWrongParty": "account {account} is not the party who may act on ILL request {requestId} now",
    "IllTerminalStatus": "ILL request {requestId} is finished ({status}); nothing more can change",
    "IllInvalidTransition": "ILL request {requestId} cannot go from {from} to {to}",
    "IllCostAboveMaximum": "the charge {cost} is above the request's maximum cost {max}",
    "IllSupplierNotLibrary": "the supplier {supplier} is not an active library",
    "IllSelfRequest": "a library cannot request from itself",
    "IllActionNotAllowed": "action {action} is not allowed while the request is {status}",
    "IllNoPendingAction": "there is no pending {action} to answer",
    "ERC20InsufficientBalance": "account {sender} holds {balance} fen of credit but {needed} are needed",
    "RoyaltiesNothingToWithdraw": "account {account} has no royalties to withdraw",
    "DepositTooLow": (
        "the loan deposit of {account} holds {available} fen but {needed} fen are needed: metered loans are paid from "
        "the deposit, so deposit credit first (POST /royalties/deposit, `libledger loans deposit`)"
    ),
    "RoyaltiesZeroAmount": "the amount must be more than 0 fen",
    "ClearingPeriodNotClosed": "settlement period {periodId} is not closed yet",
    "ClearingNothingOwed": "library {library_} owes nothing for period {periodId}",
    "ClearingAlreadySettled": "library {library_} already paid its debt for period {periodId}",
    "ClearingNothingToWithdraw": "library {library_} has nothing to withdraw for period {periodId}",
    "EnforcedPause": "the consortium is paused",
    "CreditAccountNotAllowed": "account {account} may not hold credit (not an active member)",
    "CreditSupplyCapExceeded": "minting would raise the credit supply to {supply} fen, above the cap of {cap} fen",
}

_FORBIDDEN = ("Unauthorized", "NotHolder", "NotBorrower", "WrongParty", "NotMember", "NotLicenceHolder", "AccountNotAllowed")
_CONFLICT = (
    "Already", "Duplicate", "WrongStatus", "NotActive", "Terminal", "InvalidTransition", "NoFreeCopy", "Exhausted",
    "Expired", "Insufficient", "EnforcedPause", "NotClosed", "Nothing", "NotDue", "NoPending", "Revoked", "Locked",
    "NotEnabled", "NotAttached", "ActionNotAllowed", "DeadlinePassed", "Awaiting", "NoActiveLoan", "NoEscrow",
    "DepositTooLow",
)


def revert_status(name: str) -> int:
    """HTTP status of a contract's custom error, by its name."""
    if "Unknown" in name and name != "UnknownRevert":
        return 404
    if any(k in name for k in _FORBIDDEN):
        return 403
    if any(k in name for k in _CONFLICT):
        return 409
    return 422


def _jsonable(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray)):
        return "0x" + bytes(v).hex()
    if isinstance(v, int) and not isinstance(v, bool):
        return v if abs(v) <= 2**53 - 1 else str(v)
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _words(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


def revert_problem(exc: ContractRevert) -> Problem:
    args = {k: _jsonable(v) for k, v in exc.args_by_name.items()}
    template = MESSAGES.get(exc.error_name)
    try:
        sentence = template.format(**args) if template else None
    except (KeyError, IndexError):
        sentence = None
    if sentence is None:
        sentence = _words(exc.error_name) + (" (" + ", ".join(f"{k}={v}" for k, v in args.items()) + ")" if args else "")
    where = f"{exc.contract} refused the transaction: " if exc.contract else "the contract refused the transaction: "
    ext: dict[str, Any] = {"error": exc.error_name, "args": args, "contract": exc.contract}
    if exc.tx_hash:
        ext["tx_hash"] = exc.tx_hash
    return Problem(revert_status(exc.error_name), "contract-revert", "The contract refused the transaction", where + sentence, **ext)


def ledger_problem(exc: LedgerError) -> Problem:
    if isinstance(exc, ContractRevert):
        return revert_problem(exc)
    if isinstance(exc, NodeUnreachable):
        return Problem(503, "node-unreachable", "Chain node unreachable", str(exc))
    if isinstance(exc, TransactionRejected):
        return Problem(422, "transaction-rejected", "Transaction rejected", str(exc), tx_hash=exc.tx_hash)
    if isinstance(exc, KeystoreError):
        return Problem(503, "signer-unavailable", "Signing key unavailable", str(exc))
    if isinstance(exc, (ManifestError, ConfigError)):
        return Problem(503, "not-deployed", "Service not configured", str(exc))
    return Problem(500, "ledger-error", "Ledger error", str(exc))


# ------------------------------------------------------------------------------ responses


def problem_response(request: Request, p: Problem) -> JSONResponse:
    body = {"type": TYPE_BASE + p.slug, "title": p.title, "status": p.status, "detail": p.detail, "instance": request.url.path}
    body.update({k: v for k, v in p.extensions.items() if v is not None or k in ("contract",)})
    return JSONResponse(body, status_code=p.status, media_type=MEDIA_TYPE, headers=p.headers or None)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for e in exc.errors():
        loc = [str(x) for x in e.get("loc", ())]
        out.append({"field": ".".join(loc), "message": e.get("msg", "invalid"), "type": e.get("type")})
    return out


def install(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(request, exc)

    @app.exception_handler(LedgerError)
    async def _ledger(request: Request, exc: LedgerError) -> JSONResponse:
        p = ledger_problem(exc)
        if p.status >= 500 and p.status != 503:
            log.error("ledger error on %s: %s", request.url.path, exc)
        return problem_response(request, p)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        first = errors[0] if errors else {"field": "", "message": "invalid request"}
        detail = f"{first['field'] or 'request'}: {first['message']}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
        return problem_response(request, Problem(422, "invalid-input", "Invalid input", detail, errors=errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 401: "Authentication required", 403: "Forbidden"}
        p = Problem(exc.status_code, "http-" + str(exc.status_code), titles.get(exc.status_code, "HTTP error"), str(exc.detail))
        if exc.headers:
            p.headers.update(exc.headers)
        return problem_response(request, p)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return problem_response(
            request, Problem(500, "internal", "Internal error", "an unexpected error occurred; it has been logged")
        )
