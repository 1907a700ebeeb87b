// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Consortium} from "./Consortium.sol";
import {Clearing} from "./Clearing.sol";
import {ConsortiumGuarded} from "./access/ConsortiumGuarded.sol";
import {Roles} from "./access/Roles.sol";
import {ILicensing} from "./interfaces/ILicensing.sol";
import {IRoyalties} from "./interfaces/IRoyalties.sol";

/// @title IllReasons — reason codes of ISO 18626:2017 as uint8 within scheme 0.
/// @notice A reason is (scheme uint16, code uint8). Scheme 0 is the standard's own open code
/// lists (ReasonUnfilledList-V1.0, ReasonRetryList-V1.0) numbered as below, 0 meaning "no
/// reason given"; other schemes are consortium extensions the contract carries without
/// interpreting (it validates no code: the lists are open by design).
library IllReasons {
    uint16 internal constant SCHEME_ISO18626 = 0;

    uint8 internal constant NONE = 0;

    // ReasonUnfilled (status Unfilled)
    uint8 internal constant UNFILLED_NON_CIRCULATING = 1;
    uint8 internal constant UNFILLED_NOT_AVAILABLE_FOR_ILL = 2;
    uint8 internal constant UNFILLED_NOT_HELD = 3;
    uint8 internal constant UNFILLED_NOT_ON_SHELF = 4;
    uint8 internal constant UNFILLED_POLICY_PROBLEM = 5;
    uint8 internal constant UNFILLED_POOR_CONDITION = 6;

    // ReasonRetry (status RetryPossible)
    uint8 internal constant RETRY_AT_BINDERY = 1;
    uint8 internal constant RETRY_COST_EXCEEDS_MAX_COST = 2;
    uint8 internal constant RETRY_COURIER_NOT_SUPP = 3;
    uint8 internal constant RETRY_MULTI_VOL_AVAIL = 4;
    uint8 internal constant RETRY_MUST_MEET_LOAN_CONDITION = 5;
    uint8 internal constant RETRY_NOT_CURRENT_AVAILABLE_FOR_ILL = 6;
    uint8 internal constant RETRY_NOT_FOUND_AS_CITED = 7;
    uint8 internal constant RETRY_ON_LOAN = 8;
    uint8 internal constant RETRY_ON_ORDER = 9;
    uint8 internal constant RETRY_REQ_DEL_DATE_NOT_POSSIBLE = 10;
    uint8 internal constant RETRY_REQ_DEL_METHOD_NOT_SUPP = 11;
    uint8 internal constant RETRY_REQ_EDITION_NOT_POSSIBLE = 12;
    uint8 internal constant RETRY_REQ_FORMAT_NOT_POSSIBLE = 13;
    uint8 internal constant RETRY_REQ_PAY_METHOD_NOT_SUPPORTED = 14;
    uint8 internal constant RETRY_REQ_SERV_LEVEL_NOT_SUPP = 15;
    uint8 internal constant RETRY_REQ_SERV_TYPE_NOT_POSSIBLE = 16;
}

/// @title InterlibraryLoan — ISO 18626:2017 interlibrary loan transactions on chain.
/// @notice A requesting library files a request to a supplying library. The supplier owns the
/// status (`updateStatus`, `answerCancel`, `answerRenew`); the requester (and, once the item
/// is out, whichever library currently holds it: the "borrower") sends actions (`act`).
/// Anyone may mark a loan Overdue once its due date has passed (`markOverdue`).
///
/// Ordering. Statuses have a rank and only move forward:
///   RequestReceived(1) < ExpectToSupply(2) < WillSupply(3) < {RetryPossible, Unfilled,
///   Cancelled}(4) < {Loaned, Overdue}(5) < Recalled(6) < {CopyCompleted, LoanCompleted,
///   CompletedWithoutReturn}(7).
/// Loaned ↔ Overdue move both ways within rank 5 (Overdue needs the due date passed; back to
/// Loaned needs a new due date, by renewal or by the supplier). Rank-4 and rank-7 statuses and
/// Cancelled are terminal.
///
/// What reverts and what is recorded. A message that cannot be valid from its sender reverts
/// with a custom error carrying the values: unknown request, wrong party, a terminal request,
/// a lending charge above the maximum cost, a status that is impossible from where the
/// request is (e.g. LoanCompleted before Loaned, Loaned for a copy request), a bad due date.
/// A message that was valid when its sender sent it but has been overtaken (a status of lower
/// rank than the current one, a repeated status, a Cancel that crossed the supplier's Loaned,
/// a Renew that crossed a recall, a repeated action) does not revert: it is recorded as
/// `StatusUpdateIgnored` / `ActionIgnored` and changes nothing. Messages cross in ILL all the
/// time; reverting would lose them (and a reverted call fails a whole Multicall batch).
///
/// Charges go to `Clearing`: the lending charge when the supplier sets Loaned or
/// CopyCompleted (never above the request's maximum cost), the replacement cost with
/// CompletedWithoutReturn (owed by the current borrower), and refunds as compensating entries
/// (`refundCharge`, `recordFound`), which are the only writes a terminal request admits.
///
/// Request ids are the top 96 bits of `keccak256(abi.encode(requester, ownId))`: unique per requester,
/// known before the transaction (so a Multicall batch can act on a request it creates), and
/// free of a counter and an index write.
contract InterlibraryLoan is ConsortiumGuarded {
    using SafeCast for uint256;

    /// ISO 18626 ServiceType.
    enum ServiceType {
        Loan, // 0
        Copy // 1
    }

    /// What `item` holds.
    enum ItemKind {
        Work, // 0: a Works registry id (required for digital ILL)
        Bibliographic // 1: keccak/SHA-256 of an ISBN or union-catalogue id
    }

    /// ISO 18626:2017 StatusList (supplier side). None = no such request.
    enum Status {
        None, // 0
        RequestReceived, // 1
        ExpectToSupply, // 2
        WillSupply, // 3
        RetryPossible, // 4 terminal
        Unfilled, // 5 terminal
        Loaned, // 6
        Overdue, // 7
        Recalled, // 8
        Cancelled, // 9 terminal
        CompletedWithoutReturn, // 10 terminal
        CopyCompleted, // 11 terminal
        LoanCompleted // 12 terminal
    }

    /// ISO 18626:2017 Action list (requesting side).
    enum Action {
        Received, // 0
        Cancel, // 1
        Renew, // 2
        ShippedReturn, // 3
        ShippedForward, // 4
        Lost // 5
    }

    /// Input of `submitRequest`.
    struct NewRequest {
        address supplier;
        ServiceType service;
        ItemKind itemKind;
        bytes32 item;
        uint256 maxCost; // fen; the lending charge never exceeds it
        uint256 needBefore; // unix seconds, 0 = no date
        bytes32 ownId; // the requester's own request id (RequestingAgencyRequestId)
        uint256 retryOf; // request in RetryPossible this one retries, 0 = none
        uint256 licenceId; // supplier's licence for a digital ILL, 0 = physical item
    }

    /// Everything known about a request (`request(id)`).
    struct RequestView {
        address requester;
        address supplier;
        address borrower; // who holds the item and owes its return (requester until forwarded)
        Status status;
        ServiceType service;
        ItemKind itemKind;
        bytes32 item;
        uint256 maxCost;
        uint256 needBefore;
        uint256 dueDate;
        bool cancelPending;
        bool renewPending;
        bool received;
        bool returnShipped;
        bool lostReported;
        bool found;
        uint256 licenceId;
        uint256 retryOf;
        uint256 lendingCharged;
        uint256 lendingRefunded;
        uint256 replacementCharged;
        uint256 replacementRefunded;
    }

    /// Money recorded against a request (fen).
    struct Charges {
        uint64 lending;
        uint64 lendingRefunded;
        uint64 replacement;
        uint64 replacementRefunded;
    }

    /// @dev Three slots, written once by `submitRequest`; slot 0 is all a status update touches.
    struct Request {
        // slot 0
        address supplier;
        Status status;
        ServiceType service;
        ItemKind itemKind;
        uint8 flags;
        uint40 dueDate;
        // slot 1
        address requester;
        uint40 needBefore;
        uint56 maxCost;
        // slot 2
        bytes32 item;
    }

    uint8 private constant _CANCEL_PENDING = 1;
    uint8 private constant _RENEW_PENDING = 2;
    uint8 private constant _RECEIVED = 4;
    uint8 private constant _RETURN_SHIPPED = 8;
    uint8 private constant _LOST_REPORTED = 16;
    uint8 private constant _FOUND = 32;
    uint8 private constant _DIGITAL = 64;
    uint8 private constant _FORWARDED = 128;

    /// @dev Bit offsets of the fields of `Request` slot 0 (supplier at 0, 160 bits), as the
    /// compiler packs them; `_loadHead` / `_storeHead` rely on them and every test that reads a
    /// request back through `request(id)` checks them.
    uint256 private constant _STATUS_SHIFT = 160;
    uint256 private constant _SERVICE_SHIFT = 168;
    uint256 private constant _FLAGS_SHIFT = 184;
    uint256 private constant _DUE_SHIFT = 192;
    uint256 private constant _HEAD_WRITABLE = (0xff << 160) | (0xff << 184) | (0xffffffffff << 192);

    /// @dev rank of each Status, 4 bits per status, indexed by the enum value:
    /// None 0, RR 1, ETS 2, WS 3, RP 4, UF 4, Loaned 5, Overdue 5, Recalled 6, Cancelled 4,
    /// CWR 7, CC 7, LC 7.
    uint256 private constant _RANKS = 0x7774655443210;
    /// @dev bit i set when Status(i) is terminal: RP 4, UF 5, Cancelled 9, CWR 10, CC 11, LC 12.
    uint256 private constant _TERMINAL = (1 << 4) | (1 << 5) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);

    ILicensing private immutable _licensing;
    IRoyalties private immutable _royalties;
    Clearing private immutable _clearing;

    mapping(uint256 requestId => Request) private _requests;
    mapping(uint256 requestId => Charges) private _charges;
    mapping(uint256 requestId => address) private _forwardedTo;
    mapping(uint256 requestId => uint256) private _retryOf;
    mapping(uint256 requestId => uint256) private _licenceOf;

    error IllUnknownRequest(uint256 requestId);
    error IllDuplicateRequest(address requester, bytes32 ownId, uint256 existingId);
    error IllWrongParty(uint256 requestId, address account);
    error IllTerminalStatus(uint256 requestId, Status status);
    /// `to` cannot follow `from` (not merely overtaken: impossible from this status).
    error IllInvalidTransition(uint256 requestId, Status from, Status to);
    error IllWrongService(uint256 requestId, ServiceType service, Status to);
    error IllCostAboveMaximum(uint256 requestId, uint256 cost, uint256 max);
    error IllChargeNotAllowed(uint256 requestId, Status to, uint256 charge);
    error IllRefundAboveCharge(uint256 requestId, uint256 refund, uint256 refundable);
    error IllBadDueDate(uint256 requestId, uint256 dueDate, uint256 minimum);
    error IllNotDue(uint256 requestId, uint256 dueDate, uint256 now_);
    error IllActionNotAllowed(uint256 requestId, Action action, Status status);
    /// The supplier answered a Cancel / Renew that is not pending.
    error IllNoPendingAction(uint256 requestId, Action action);
    error IllBadForwardTarget(uint256 requestId, address to);
    error IllAlreadyFound(uint256 requestId);
    error IllSupplierNotLibrary(address supplier);
    error IllSelfRequest(address library_);
    /// A required field of `NewRequest` is zero; `field` is its position (3 = item, 6 = ownId).
    error IllInvalidInput(uint256 field);
    error IllNeedBeforePassed(uint256 needBefore, uint256 now_);
    error IllNotRetryable(uint256 retryOf, Status status);
    error IllDigitalNeedsWorkLoan(ServiceType service, ItemKind itemKind);
    error IllItemMismatch(uint256 requestId, bytes32 item, uint256 workId);

    /// A request was filed; its status is RequestReceived from this event on.
    event IllRequested(
        uint256 indexed requestId,
        address indexed requester,
        address indexed supplier,
        bytes32 ownId,
        ServiceType service,
        ItemKind itemKind,
        bytes32 item,
        uint256 maxCost,
        uint256 needBefore,
        uint256 retryOf,
        uint256 licenceId
    );
    /// The status moved `from` → `to`; `dueDate` is the request's due date after the change.
    event StatusChanged(
        uint256 indexed requestId,
        Status from,
        Status to,
        address indexed actor,
        uint16 reasonScheme,
        uint8 reasonCode,
        uint256 dueDate
    );
    /// A status message was overtaken (stale, repeated or out of order) and changed nothing.
    event StatusUpdateIgnored(
        uint256 indexed requestId,
        Status current,
        Status proposed,
        address indexed actor,
        uint16 reasonScheme,
        uint8 reasonCode
    );
    /// The requesting side sent `action` while the request was in `status`; `forwardTo` is the
    /// new borrower of a ShippedForward (zero otherwise).
    event ActionRecorded(
        uint256 indexed requestId, Action action, address indexed actor, Status status, address forwardTo
    );
    /// An action was overtaken (crossed a status change, or repeated) and changed nothing.
    event ActionIgnored(uint256 indexed requestId, Action action, address indexed actor, Status status);
    event CancelAnswered(uint256 indexed requestId, bool accepted, address indexed actor);
    event RenewAnswered(uint256 indexed requestId, bool accepted, uint256 dueDate, address indexed actor);
    /// A lost item turned up: compensating entry refunding `refund` fen of the replacement cost.
    event FoundAfterLost(uint256 indexed requestId, address indexed actor, address borrower, uint256 refund);
    /// The supplier refunded `amount` fen of the lending charge (compensating entry).
    event LendingChargeRefunded(uint256 indexed requestId, address indexed actor, address requester, uint256 amount);
    /// A digital ILL took one copy of the supplier's licence (and paid `perLoanPrice` through
    /// the 70/30 split, when metered).
    event DigitalCopyUsed(
        uint256 indexed requestId, uint256 indexed licenceId, uint256 workId, uint256 termsId, uint256 perLoanPrice
    );
    event DigitalCopyReleased(uint256 indexed requestId, uint256 indexed licenceId);

    constructor(Consortium consortium_, ILicensing licensing_, IRoyalties royalties_, Clearing clearing_)
        ConsortiumGuarded(consortium_)
    {
        _licensing = licensing_;
        _royalties = royalties_;
        _clearing = clearing_;
    }

    // ------------------------------------------------------------------ requesting side

    /// @notice Files an ILL request from the calling library to `r.supplier`; its status starts
    /// at RequestReceived. Reverts with `IllDuplicateRequest` (carrying the existing id) when the
    /// caller already used `r.ownId`.
    /// @return requestId `computeRequestId(msg.sender, r.ownId)`.
    function submitRequest(NewRequest calldata r)
        external
        onlyRole(Roles.LIBRARY)
        whenNotPaused
        returns (uint256 requestId)
    {
        if (r.ownId == bytes32(0)) revert IllInvalidInput(6);
        if (r.item == bytes32(0)) revert IllInvalidInput(3);
        if (r.supplier == msg.sender) revert IllSelfRequest(msg.sender);
        if (!_hasRole(Roles.LIBRARY, r.supplier)) revert IllSupplierNotLibrary(r.supplier);
        if (r.needBefore != 0 && r.needBefore <= block.timestamp) {
            revert IllNeedBeforePassed(r.needBefore, block.timestamp);
        }
        requestId = computeRequestId(msg.sender, r.ownId);
        Request storage q = _requests[requestId];
        if (q.status != Status.None) revert IllDuplicateRequest(msg.sender, r.ownId, requestId);

        uint8 flags;
        if (r.licenceId != 0) {
            if (r.service != ServiceType.Loan || r.itemKind != ItemKind.Work) {
                revert IllDigitalNeedsWorkLoan(r.service, r.itemKind);
            }
            flags = _DIGITAL;
            _licenceOf[requestId] = r.licenceId;
        }
        if (r.retryOf != 0) {
            Request storage old = _requests[r.retryOf];
            Status oldStatus = old.status;
            if (oldStatus == Status.None) revert IllUnknownRequest(r.retryOf);
            if (old.requester != msg.sender) revert IllWrongParty(r.retryOf, msg.sender);
            if (oldStatus != Status.RetryPossible) revert IllNotRetryable(r.retryOf, oldStatus);
            _retryOf[requestId] = r.retryOf;
        }

        q.supplier = r.supplier;
        q.status = Status.RequestReceived;
        q.service = r.service;
        q.itemKind = r.itemKind;
        q.flags = flags;
        q.requester = msg.sender;
        q.needBefore = r.needBefore.toUint40();
        q.maxCost = r.maxCost.toUint56();
        q.item = r.item;
        emit IllRequested(
            requestId,
            msg.sender,
            r.supplier,
            r.ownId,
            r.service,
            r.itemKind,
            r.item,
            r.maxCost,
            r.needBefore,
            r.retryOf,
            r.licenceId
        );
    }

    /// @notice The requesting side sends an ISO 18626 action.
    /// - Cancel: the requester, before the item is out; the supplier answers with `answerCancel`.
    /// - Received, Renew, ShippedReturn, ShippedForward, Lost: the borrower (the requester, or the
    ///   library the item was last forwarded to), while Loaned / Overdue / Recalled. Renew is
    ///   answered with `answerRenew`; Lost is answered with CompletedWithoutReturn.
    /// - ShippedForward hands the item and the duty to return it to `forwardTo` (an active
    ///   library other than the supplier and the current borrower): return anywhere.
    /// Overtaken actions (a Cancel after Loaned, a Renew after a recall or a shipped return, any
    /// repeated action) are recorded as `ActionIgnored`. Actions for a later phase (e.g.
    /// Received before Loaned) revert with `IllActionNotAllowed`.
    /// @param forwardTo the next borrower for ShippedForward; must be zero for other actions.
    function act(uint256 requestId, Action action, address forwardTo) external onlyRole(Roles.LIBRARY) whenNotPaused {
        Request storage q = _requests[requestId];
        Status status = q.status;
        if (status == Status.None) revert IllUnknownRequest(requestId);
        uint8 flags = q.flags;
        if (action != Action.ShippedForward && forwardTo != address(0)) {
            revert IllBadForwardTarget(requestId, forwardTo);
        }
        if (action == Action.Cancel) {
            if (msg.sender != q.requester) revert IllWrongParty(requestId, msg.sender);
            if (_isTerminal(status)) revert IllTerminalStatus(requestId, status);
            if (_rank(status) > 3 || flags & _CANCEL_PENDING != 0) {
                _ignoreAction(requestId, action, status);
                return;
            }
            q.flags = flags | _CANCEL_PENDING;
        } else {
            if (msg.sender != _borrower(requestId, q, flags)) revert IllWrongParty(requestId, msg.sender);
            if (_isTerminal(status)) revert IllTerminalStatus(requestId, status);
            if (_rank(status) < 5) revert IllActionNotAllowed(requestId, action, status);
            if (action == Action.Received) {
                if (flags & _RECEIVED != 0) {
                    _ignoreAction(requestId, action, status);
                    return;
                }
                q.flags = flags | _RECEIVED;
            } else if (action == Action.Renew) {
                if (status == Status.Recalled || flags & (_RENEW_PENDING | _RETURN_SHIPPED | _LOST_REPORTED) != 0) {
                    _ignoreAction(requestId, action, status);
                    return;
                }
                q.flags = flags | _RENEW_PENDING;
            } else if (action == Action.ShippedReturn) {
                if (flags & (_RETURN_SHIPPED | _LOST_REPORTED) != 0) {
                    _ignoreAction(requestId, action, status);
                    return;
                }
                q.flags = (flags | _RETURN_SHIPPED) & ~_RENEW_PENDING;
            } else if (action == Action.ShippedForward) {
                if (flags & (_RETURN_SHIPPED | _LOST_REPORTED) != 0) {
                    revert IllActionNotAllowed(requestId, action, status);
                }
                if (
                    forwardTo == address(0) || forwardTo == q.supplier || forwardTo == msg.sender
                        || !_hasRole(Roles.LIBRARY, forwardTo)
                ) revert IllBadForwardTarget(requestId, forwardTo);
                _forwardedTo[requestId] = forwardTo;
                q.flags = (flags | _FORWARDED) & ~(_RECEIVED | _RENEW_PENDING);
            } else {
                // Lost
                if (flags & _LOST_REPORTED != 0) {
                    _ignoreAction(requestId, action, status);
                    return;
                }
                q.flags = (flags | _LOST_REPORTED) & ~_RENEW_PENDING;
            }
        }
        emit ActionRecorded(requestId, action, msg.sender, status, forwardTo);
    }

    // ------------------------------------------------------------------ supplying side

    /// @notice The supplier sets the request's status (ISO 18626 SupplyingAgencyMessage).
    /// Forward moves change the status; overtaken ones (lower rank, or the current status
    /// again) are recorded as `StatusUpdateIgnored` and change nothing.
    /// @param next the new status. Cancelled is set only through `answerCancel`.
    /// @param reasonScheme reason scheme (0 = ISO 18626 lists, see `IllReasons`).
    /// @param reasonCode reason within the scheme (Unfilled / RetryPossible reasons, ...).
    /// @param dueDate unix seconds: required (> now) for Loaned (a digital loan may pass 0 to
    ///   use the licence's loan period) and for Overdue → Loaned; optional for Recalled (a new,
    ///   usually earlier, due date); ignored otherwise.
    /// @param charge fen: the lending charge with Loaned (from before the loan) or
    ///   CopyCompleted, at most the request's maximum cost; the replacement cost (owed by the
    ///   current borrower) with CompletedWithoutReturn; must be 0 otherwise.
    function updateStatus(
        uint256 requestId,
        Status next,
        uint16 reasonScheme,
        uint8 reasonCode,
        uint256 dueDate,
        uint256 charge
    ) external onlyRole(Roles.LIBRARY) whenNotPaused {
        Request storage q = _requests[requestId];
        // slot 0 is read once and written once (gas: a status update is the hot path)
        uint256 head = _loadHead(q);
        Status cur = Status(uint8(head >> _STATUS_SHIFT));
        if (cur == Status.None) revert IllUnknownRequest(requestId);
        if (msg.sender != address(uint160(head))) revert IllWrongParty(requestId, msg.sender);
        if (_isTerminal(cur)) revert IllTerminalStatus(requestId, cur);
        if (next == Status.None || next == Status.Cancelled) revert IllInvalidTransition(requestId, cur, next);
        uint256 rankNext = _rank(next);
        if (rankNext < _rank(cur) || next == cur) {
            emit StatusUpdateIgnored(requestId, cur, next, msg.sender, reasonScheme, reasonCode);
            return;
        }
        uint8 flags = uint8(head >> _FLAGS_SHIFT);
        uint256 due = uint40(head >> _DUE_SHIFT);
        if (
            charge != 0 && next != Status.Loaned && next != Status.CopyCompleted
                && next != Status.CompletedWithoutReturn
        ) {
            revert IllChargeNotAllowed(requestId, next, charge);
        }

        if (rankNext <= 4) {
            // ExpectToSupply, WillSupply, RetryPossible, Unfilled from an earlier pre-supply status.
            if (flags & _CANCEL_PENDING != 0 && rankNext == 4) flags = _answerCancelImplicitly(requestId, flags);
        } else if (next == Status.Loaned) {
            if (cur == Status.Overdue) {
                // the supplier extends an overdue loan without a renewal request
                if (charge != 0) revert IllChargeNotAllowed(requestId, next, charge);
                if (dueDate <= block.timestamp) revert IllBadDueDate(requestId, dueDate, block.timestamp + 1);
            } else {
                ServiceType service = ServiceType(uint8(head >> _SERVICE_SHIFT));
                if (service != ServiceType.Loan) revert IllWrongService(requestId, service, next);
                if (flags & _DIGITAL != 0) dueDate = _useDigitalCopy(requestId, q, dueDate);
                if (dueDate <= block.timestamp) revert IllBadDueDate(requestId, dueDate, block.timestamp + 1);
                if (flags & _CANCEL_PENDING != 0) flags = _answerCancelImplicitly(requestId, flags);
                if (charge != 0) _chargeLending(requestId, q, charge);
            }
            due = dueDate;
        } else if (next == Status.Overdue) {
            if (cur != Status.Loaned) revert IllInvalidTransition(requestId, cur, next);
            if (block.timestamp <= due) revert IllNotDue(requestId, due, block.timestamp);
        } else if (next == Status.Recalled) {
            if (_rank(cur) != 5) revert IllInvalidTransition(requestId, cur, next);
            if (dueDate != 0) {
                if (dueDate <= block.timestamp) revert IllBadDueDate(requestId, dueDate, block.timestamp + 1);
                due = dueDate;
            }
            flags &= ~_RENEW_PENDING;
        } else if (next == Status.CopyCompleted) {
            ServiceType service = ServiceType(uint8(head >> _SERVICE_SHIFT));
            if (service != ServiceType.Copy) revert IllWrongService(requestId, service, next);
            if (flags & _CANCEL_PENDING != 0) flags = _answerCancelImplicitly(requestId, flags);
            if (charge != 0) _chargeLending(requestId, q, charge);
        } else {
            // LoanCompleted, CompletedWithoutReturn: only once the item is out.
            if (_rank(cur) < 5) revert IllInvalidTransition(requestId, cur, next);
            flags &= ~_RENEW_PENDING;
            if (charge != 0) _chargeReplacement(requestId, q, flags, charge);
            if (flags & _DIGITAL != 0) _releaseDigitalCopy(requestId);
        }
        _storeHead(q, head, next, flags, due.toUint40());
        emit StatusChanged(requestId, cur, next, msg.sender, reasonScheme, reasonCode, due);
    }

    /// @notice The supplier answers a pending Cancel: accepted → Cancelled (terminal); refused →
    /// the request goes on. Moving the request to Loaned, CopyCompleted, RetryPossible or
    /// Unfilled answers a pending Cancel implicitly (accepted=false).
    function answerCancel(uint256 requestId, bool accept) external onlyRole(Roles.LIBRARY) whenNotPaused {
        Request storage q = _requests[requestId];
        Status cur = _supplierStatus(requestId, q);
        uint8 flags = q.flags;
        if (flags & _CANCEL_PENDING == 0) revert IllNoPendingAction(requestId, Action.Cancel);
        q.flags = flags & ~_CANCEL_PENDING;
        emit CancelAnswered(requestId, accept, msg.sender);
        if (accept) {
            q.status = Status.Cancelled;
            emit StatusChanged(requestId, cur, Status.Cancelled, msg.sender, 0, 0, q.dueDate);
        }
    }

    /// @notice The supplier answers a pending Renew: `newDueDate` 0 refuses; otherwise it must
    /// be later than both now and the current due date, and the loan is Loaned again with it.
    function answerRenew(uint256 requestId, uint256 newDueDate) external onlyRole(Roles.LIBRARY) whenNotPaused {
        Request storage q = _requests[requestId];
        Status cur = _supplierStatus(requestId, q);
        uint8 flags = q.flags;
        if (flags & _RENEW_PENDING == 0) revert IllNoPendingAction(requestId, Action.Renew);
        q.flags = flags & ~_RENEW_PENDING;
        if (newDueDate == 0) {
            emit RenewAnswered(requestId, false, q.dueDate, msg.sender);
            return;
        }
        uint256 due = q.dueDate;
        uint256 minimum = (due > block.timestamp ? due : block.timestamp) + 1;
        if (newDueDate < minimum) revert IllBadDueDate(requestId, newDueDate, minimum);
        q.dueDate = newDueDate.toUint40();
        q.status = Status.Loaned;
        emit RenewAnswered(requestId, true, newDueDate, msg.sender);
        emit StatusChanged(requestId, cur, Status.Loaned, msg.sender, 0, 0, newDueDate);
    }

    /// @notice Anyone marks a Loaned request Overdue once its due date has passed. Already
    /// Overdue or Recalled: recorded as `StatusUpdateIgnored` (so bots may batch freely).
    function markOverdue(uint256 requestId) external whenNotPaused {
        Request storage q = _requests[requestId];
        Status cur = q.status;
        if (cur == Status.None) revert IllUnknownRequest(requestId);
        if (_isTerminal(cur)) revert IllTerminalStatus(requestId, cur);
        if (cur == Status.Overdue || cur == Status.Recalled) {
            emit StatusUpdateIgnored(requestId, cur, Status.Overdue, msg.sender, 0, 0);
            return;
        }
        if (cur != Status.Loaned) revert IllInvalidTransition(requestId, cur, Status.Overdue);
        uint256 due = q.dueDate;
        if (block.timestamp <= due) revert IllNotDue(requestId, due, block.timestamp);
        q.status = Status.Overdue;
        emit StatusChanged(requestId, cur, Status.Overdue, msg.sender, 0, 0, due);
    }

    // ------------------------------------------------------------------ compensating entries

    /// @notice The supplier refunds `amount` fen of the lending charge to the requester: a
    /// compensating entry in the open settlement period, allowed in any status (also terminal).
    function refundCharge(uint256 requestId, uint256 amount) external onlyRole(Roles.LIBRARY) whenNotPaused {
        Request storage q = _requests[requestId];
        _supplierOf(requestId, q);
        Charges storage c = _charges[requestId];
        uint256 refundable;
        unchecked {
            // lendingRefunded <= lending by construction
            refundable = uint256(c.lending) - c.lendingRefunded;
        }
        if (amount == 0 || amount > refundable) revert IllRefundAboveCharge(requestId, amount, refundable);
        // amount <= refundable <= lending, a uint64
        // forge-lint: disable-next-line(unsafe-typecast)
        c.lendingRefunded += uint64(amount);
        address requester = q.requester;
        emit LendingChargeRefunded(requestId, msg.sender, requester, amount);
        _clearing.post(Clearing.ChargeKind.Refund, requestId, msg.sender, requester, amount, refundable);
    }

    /// @notice A lost item turned up after CompletedWithoutReturn. The status stays (terminal);
    /// the supplier records the find once and refunds up to the replacement cost charged to the
    /// borrower (`refund` may be 0).
    function recordFound(uint256 requestId, uint256 refund) external onlyRole(Roles.LIBRARY) whenNotPaused {
        Request storage q = _requests[requestId];
        Status cur = _supplierOf(requestId, q);
        if (cur != Status.CompletedWithoutReturn) revert IllInvalidTransition(requestId, cur, cur);
        uint8 flags = q.flags;
        if (flags & _FOUND != 0) revert IllAlreadyFound(requestId);
        q.flags = flags | _FOUND;
        address borrower = _borrower(requestId, q, flags);
        emit FoundAfterLost(requestId, msg.sender, borrower, refund);
        if (refund != 0) {
            Charges storage c = _charges[requestId];
            uint256 refundable;
            unchecked {
                // replacementRefunded <= replacement by construction
                refundable = uint256(c.replacement) - c.replacementRefunded;
            }
            if (refund > refundable) revert IllRefundAboveCharge(requestId, refund, refundable);
            // refund <= refundable <= replacement, a uint64
            // forge-lint: disable-next-line(unsafe-typecast)
            c.replacementRefunded += uint64(refund);
            _clearing.post(Clearing.ChargeKind.Refund, requestId, msg.sender, borrower, refund, refundable);
        }
    }

    // ------------------------------------------------------------------ views

    /// @notice The id a request of `requester` with its own id `ownId` has (or would have).
    function computeRequestId(address requester, bytes32 ownId) public pure returns (uint256) {
        // 96 bits: collisions stay negligible (~1e-11 after 1e9 requests; a targeted one needs
        // ~2^96 hashes) and every call naming the id pays 240 gas less calldata than 256 bits
        return uint256(keccak256(abi.encode(requester, ownId))) >> 160;
    }

    /// @notice The id of `requester`'s request `ownId`, or 0 when there is none.
    function requestIdOf(address requester, bytes32 ownId) external view returns (uint256 id) {
        id = computeRequestId(requester, ownId);
        if (_requests[id].status == Status.None) id = 0;
    }

    function request(uint256 requestId) external view returns (RequestView memory v) {
        Request storage q = _requests[requestId];
        if (q.status == Status.None) revert IllUnknownRequest(requestId);
        uint8 flags = q.flags;
        v.requester = q.requester;
        v.supplier = q.supplier;
        v.borrower = _borrower(requestId, q, flags);
        v.status = q.status;
        v.service = q.service;
        v.itemKind = q.itemKind;
        v.item = q.item;
        v.maxCost = q.maxCost;
        v.needBefore = q.needBefore;
        v.dueDate = q.dueDate;
        v.cancelPending = flags & _CANCEL_PENDING != 0;
        v.renewPending = flags & _RENEW_PENDING != 0;
        v.received = flags & _RECEIVED != 0;
        v.returnShipped = flags & _RETURN_SHIPPED != 0;
        v.lostReported = flags & _LOST_REPORTED != 0;
        v.found = flags & _FOUND != 0;
        v.licenceId = _licenceOf[requestId];
        v.retryOf = _retryOf[requestId];
        Charges storage c = _charges[requestId];
        v.lendingCharged = c.lending;
        v.lendingRefunded = c.lendingRefunded;
        v.replacementCharged = c.replacement;
        v.replacementRefunded = c.replacementRefunded;
    }

    /// @notice Current status (None for an unknown id).
    function statusOf(uint256 requestId) external view returns (Status) {
        return _requests[requestId].status;
    }

    /// @notice The library that holds the item and owes its return (zero for an unknown id).
    function borrowerOf(uint256 requestId) external view returns (address) {
        Request storage q = _requests[requestId];
        return _borrower(requestId, q, q.flags);
    }

    function charges(uint256 requestId) external view returns (Charges memory) {
        return _charges[requestId];
    }

    /// @notice True for statuses that admit no further status change.
    function isTerminal(Status status) external pure returns (bool) {
        return _isTerminal(status);
    }

    /// @notice Rank of a status in the forward-only order (see the contract notice).
    function rankOf(Status status) external pure returns (uint256) {
        return _rank(status);
    }

    function licensing() external view returns (ILicensing) {
        return _licensing;
    }

    function royalties() external view returns (IRoyalties) {
        return _royalties;
    }

    function clearing() external view returns (Clearing) {
        return _clearing;
    }

    // ------------------------------------------------------------------ internals

    /// @dev Slot 0 of a request (supplier, status, service, itemKind, flags, dueDate) in one SLOAD.
    function _loadHead(Request storage q) private view returns (uint256 head) {
        assembly ("memory-safe") {
            head := sload(q.slot)
        }
    }

    /// @dev Writes status, flags and dueDate into slot 0 in one SSTORE, keeping supplier,
    /// service and itemKind from `head`. Sound only when nothing wrote slot 0 since `head` was
    /// loaded: between the two, updateStatus calls only Licensing, Royalties and Clearing, which
    /// never call back into this contract.
    function _storeHead(Request storage q, uint256 head, Status status, uint8 flags, uint40 due) private {
        uint256 word = (head & ~_HEAD_WRITABLE) | (uint256(uint8(status)) << _STATUS_SHIFT)
            | (uint256(flags) << _FLAGS_SHIFT) | (uint256(due) << _DUE_SHIFT);
        assembly ("memory-safe") {
            sstore(q.slot, word)
        }
    }

    /// @dev Status of a request the caller supplies and may still change; reverts otherwise.
    function _supplierStatus(uint256 requestId, Request storage q) private view returns (Status cur) {
        cur = _supplierOf(requestId, q);
        if (_isTerminal(cur)) revert IllTerminalStatus(requestId, cur);
    }

    /// @dev Status of a request the caller supplies (terminal allowed); reverts otherwise.
    function _supplierOf(uint256 requestId, Request storage q) private view returns (Status cur) {
        cur = q.status;
        if (cur == Status.None) revert IllUnknownRequest(requestId);
        if (msg.sender != q.supplier) revert IllWrongParty(requestId, msg.sender);
    }

    function _borrower(uint256 requestId, Request storage q, uint8 flags) private view returns (address) {
        return flags & _FORWARDED != 0 ? _forwardedTo[requestId] : q.requester;
    }

    function _ignoreAction(uint256 requestId, Action action, Status status) private {
        emit ActionIgnored(requestId, action, msg.sender, status);
    }

    function _answerCancelImplicitly(uint256 requestId, uint8 flags) private returns (uint8) {
        emit CancelAnswered(requestId, false, msg.sender);
        return flags & ~_CANCEL_PENDING;
    }

    function _chargeLending(uint256 requestId, Request storage q, uint256 charge) private {
        uint256 max = q.maxCost;
        if (charge > max) revert IllCostAboveMaximum(requestId, charge, max);
        // charge <= maxCost, a uint56
        // forge-lint: disable-next-line(unsafe-typecast)
        _charges[requestId].lending = uint64(charge);
        _clearing.post(Clearing.ChargeKind.Lending, requestId, q.requester, msg.sender, charge, max);
    }

    function _chargeReplacement(uint256 requestId, Request storage q, uint8 flags, uint256 charge) private {
        _charges[requestId].replacement = charge.toUint64();
        _clearing.post(
            Clearing.ChargeKind.Replacement, requestId, _borrower(requestId, q, flags), msg.sender, charge, charge
        );
    }

    /// @dev Takes one copy of the supplier's licence (its terms must allow ILL) and pays the
    /// per-loan fee from the supplier through the 70/30 split. Returns the due date to use.
    function _useDigitalCopy(uint256 requestId, Request storage q, uint256 dueDate) private returns (uint256) {
        uint256 licenceId = _licenceOf[requestId];
        ILicensing.CopyGrant memory g = _licensing.useCopy(licenceId, msg.sender, true);
        if (uint256(q.item) != g.workId) revert IllItemMismatch(requestId, q.item, g.workId);
        emit DigitalCopyUsed(requestId, licenceId, g.workId, g.termsId, g.perLoanPrice);
        if (g.perLoanPrice != 0) {
            _royalties.pay(
                msg.sender, g.workId, g.termsId, g.feeBps, IRoyalties.PaymentRef.IllRequest, requestId, g.perLoanPrice
            );
        }
        return dueDate == 0 ? block.timestamp + g.loanPeriod : dueDate;
    }

    function _releaseDigitalCopy(uint256 requestId) private {
        uint256 licenceId = _licenceOf[requestId];
        emit DigitalCopyReleased(requestId, licenceId);
        _licensing.releaseCopy(licenceId);
    }

    function _rank(Status s) private pure returns (uint256) {
        return (_RANKS >> (uint256(s) * 4)) & 0xf;
    }

    function _isTerminal(Status s) private pure returns (bool) {
        return (_TERMINAL >> uint256(s)) & 1 == 1;
    }
}
