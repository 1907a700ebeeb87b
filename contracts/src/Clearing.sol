// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Consortium} from "./Consortium.sol";
import {Credit} from "./Credit.sol";
import {ConsortiumGuarded} from "./access/ConsortiumGuarded.sol";
import {Roles} from "./access/Roles.sol";

/// @title Clearing — net settlement of interlibrary-loan charges between libraries.
/// @notice Every ILL charge (lending charge, replacement cost, refund) moves the net position
/// of two libraries in the open settlement period: the debtor's net goes down by the amount,
/// the creditor's goes up by it, so the nets of a period always sum to zero. The platform
/// closes the period (monthly); from then on each library pays or receives only its net:
/// - a debtor calls `settle(period)`, which pulls its whole net debt in Credit (libledger
///   contracts need no allowance, and this happens inside the debtor's own call);
/// - a creditor calls `withdraw(period)` and receives its pro-rata share of what debtors of
///   that period have paid in so far: `net * paidIn / owed` (floor), minus what it already
///   withdrew. Once every debtor has paid, every creditor can draw exactly its net. Pro-rata
///   pulls let creditors be paid as money arrives without any loop over libraries, and a
///   defaulting debtor delays everyone by the same fraction instead of whoever withdraws last.
///   The sum of floors never exceeds `paidIn`, so Clearing can always pay every claim.
/// A debtor that has not paid by the period's deadline can be flagged by anyone
/// (`flagDefault`); a late payment is still accepted and recorded as late.
/// @dev No loops: every period keeps aggregates (`owed`, `paidIn`, `withdrawn`) that each call
/// updates in O(1). Amounts are credit minor units (fen).
contract Clearing is ConsortiumGuarded {
    using SafeERC20 for Credit;

    /// What a charge is for (carried in `ChargePosted`).
    enum ChargeKind {
        Lending, // 0: lending charge on Loaned / CopyCompleted (requester owes supplier)
        Replacement, // 1: replacement cost of a lost item (borrower owes supplier)
        Refund // 2: compensating entry (supplier owes back what it charged)
    }

    /// A settlement period. `closedAt == 0` while open.
    struct Period {
        uint40 openedAt;
        uint40 closedAt;
        uint40 deadline; // debtors must have paid by then (closedAt + settlement window)
        uint128 owed; // sum of all debtors' net debts = sum of all creditors' net claims
        uint128 paidIn; // credit paid in by debtors of the period
        uint128 withdrawn; // credit drawn by creditors of the period
    }

    /// A library's position in one period.
    struct Position {
        int128 net; // > 0: the library is owed; < 0: the library owes
        uint120 settled; // debtor: fen paid in; creditor: fen withdrawn
        bool defaulted; // flagged as not having paid its debt by the deadline
    }

    uint40 public constant DEFAULT_SETTLEMENT_WINDOW = 14 days;
    uint40 public constant MIN_SETTLEMENT_WINDOW = 1 days;
    uint40 public constant MAX_SETTLEMENT_WINDOW = 90 days;

    Credit private immutable _credit;
    uint64 private _currentPeriod;
    uint40 private _settlementWindow;
    uint256 private _held;
    mapping(uint256 periodId => Period) private _periods;
    mapping(uint256 periodId => mapping(address library_ => Position)) private _positions;

    error ClearingZeroAmount(uint256 requestId);
    error ClearingSameParty(uint256 requestId, address account);
    error ClearingChargeAboveCap(uint256 requestId, uint256 amount, uint256 cap);
    error ClearingPeriodNotClosed(uint256 periodId);
    error ClearingNothingOwed(uint256 periodId, address library_, int256 net);
    error ClearingAlreadySettled(uint256 periodId, address library_, uint256 paid);
    error ClearingNothingToWithdraw(uint256 periodId, address library_, int256 net, uint256 withdrawn);
    error ClearingDeadlineNotPassed(uint256 periodId, uint256 deadline, uint256 now_);
    error ClearingNotInDefault(uint256 periodId, address library_, int256 net, uint256 paid);
    error ClearingAlreadyFlagged(uint256 periodId, address library_);
    error ClearingWindowOutOfRange(uint256 window, uint256 min, uint256 max);

    event PeriodOpened(uint256 indexed periodId, uint256 openedAt);
    event PeriodClosed(uint256 indexed periodId, uint256 closedAt, uint256 deadline, uint256 owed, address actor);
    /// A charge moved the nets of `debtor` and `creditor` in `periodId` (new nets included).
    event ChargePosted(
        uint256 indexed periodId,
        uint256 indexed requestId,
        ChargeKind kind,
        address indexed debtor,
        address creditor,
        uint256 amount,
        int256 debtorNet,
        int256 creditorNet
    );
    /// A debtor paid `amount` (its whole remaining net debt) for `periodId`.
    event SettlementPaid(uint256 indexed periodId, address indexed library_, uint256 amount, bool late);
    /// A creditor drew `amount`; `withdrawnTotal` of its `net` is now paid out.
    event SettlementWithdrawn(
        uint256 indexed periodId, address indexed library_, uint256 amount, uint256 withdrawnTotal, int256 net
    );
    /// `library_` had not paid `outstanding` of its net debt by `deadline`.
    event SettlementDefaulted(
        uint256 indexed periodId, address indexed library_, uint256 outstanding, uint256 deadline, address actor
    );
    event SettlementWindowSet(uint256 previous, uint256 current);

    constructor(Consortium consortium_, Credit credit_) ConsortiumGuarded(consortium_) {
        _credit = credit_;
        _settlementWindow = DEFAULT_SETTLEMENT_WINDOW;
        _currentPeriod = 1;
        _periods[1].openedAt = uint40(block.timestamp);
        emit PeriodOpened(1, block.timestamp);
    }

    // ------------------------------------------------------------------ ledger hook

    /// @notice Posts a charge of `amount` fen, owed by `debtor` to `creditor`, into the open period.
    /// @dev Only libledger contracts (InterlibraryLoan). `cap` is the most the caller allows
    /// (the request's remaining maximum cost for a lending charge, what was charged for a refund).
    /// @return periodId the period the charge landed in.
    function post(ChargeKind kind, uint256 requestId, address debtor, address creditor, uint256 amount, uint256 cap)
        external
        onlyRole(Roles.LEDGER)
        whenNotPaused
        returns (uint256 periodId)
    {
        if (amount == 0) revert ClearingZeroAmount(requestId);
        if (amount > cap) revert ClearingChargeAboveCap(requestId, amount, cap);
        if (debtor == creditor) revert ClearingSameParty(requestId, debtor);
        periodId = _currentPeriod;
        (int256 dNew, int256 cNew) = _move(periodId, debtor, creditor, amount);
        emit ChargePosted(periodId, requestId, kind, debtor, creditor, amount, dNew, cNew);
    }

    // ------------------------------------------------------------------ platform

    /// @notice Closes the open period and opens the next one. Debtors of the closed period must
    /// pay by `closedAt + settlementWindow()`.
    function closePeriod() external onlyRole(Roles.PLATFORM) whenNotPaused returns (uint256 closedId) {
        closedId = _currentPeriod;
        Period storage p = _periods[closedId];
        uint40 now_ = uint40(block.timestamp);
        uint40 deadline = now_ + _settlementWindow;
        p.closedAt = now_;
        p.deadline = deadline;
        emit PeriodClosed(closedId, now_, deadline, p.owed, msg.sender);
        uint64 next = _currentPeriod + 1;
        _currentPeriod = next;
        _periods[next].openedAt = now_;
        emit PeriodOpened(next, now_);
    }

    /// @notice Sets the time debtors have to pay after a period closes (applies to periods
    /// closed from now on).
    function setSettlementWindow(uint256 window) external onlyRole(Roles.GOVERNOR) {
        if (window < MIN_SETTLEMENT_WINDOW || window > MAX_SETTLEMENT_WINDOW) {
            revert ClearingWindowOutOfRange(window, MIN_SETTLEMENT_WINDOW, MAX_SETTLEMENT_WINDOW);
        }
        uint256 previous = _settlementWindow;
        // window <= MAX_SETTLEMENT_WINDOW checked above
        // forge-lint: disable-next-line(unsafe-typecast)
        _settlementWindow = uint40(window);
        emit SettlementWindowSet(previous, window);
    }

    // ------------------------------------------------------------------ libraries

    /// @notice A debtor pays its whole remaining net debt of the closed `periodId` in credits
    /// (pulled from its balance; no allowance needed). Late payments are accepted and marked.
    /// @return amount fen paid.
    function settle(uint256 periodId) external onlyRole(Roles.LIBRARY) whenNotPaused returns (uint256 amount) {
        Period storage p = _closedPeriod(periodId);
        Position storage pos = _positions[periodId][msg.sender];
        int128 net = pos.net;
        if (net >= 0) revert ClearingNothingOwed(periodId, msg.sender, net);
        // net < 0 checked above, and |int128| fits uint256
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 debt = uint256(-int256(net));
        uint256 paid = pos.settled;
        if (paid >= debt) revert ClearingAlreadySettled(periodId, msg.sender, paid);
        unchecked {
            // paid < debt checked above
            amount = debt - paid;
        }
        pos.settled = SafeCast.toUint120(debt);
        // amount <= debt <= owed < 2^128
        // forge-lint: disable-next-line(unsafe-typecast)
        p.paidIn += uint128(amount);
        _held += amount;
        emit SettlementPaid(periodId, msg.sender, amount, block.timestamp > p.deadline);
        _credit.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice A creditor draws its share of what the debtors of `periodId` have paid in so far:
    /// `net * paidIn / owed` minus what it already drew (all of `net` once every debtor paid).
    /// @return amount fen transferred.
    function withdraw(uint256 periodId) external onlyRole(Roles.LIBRARY) whenNotPaused returns (uint256 amount) {
        Period storage p = _closedPeriod(periodId);
        Position storage pos = _positions[periodId][msg.sender];
        int128 net = pos.net;
        uint256 drawn = pos.settled;
        // cast only when net > 0
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 share = net > 0 ? _share(uint256(int256(net)), p.paidIn, p.owed) : 0;
        if (share <= drawn) revert ClearingNothingToWithdraw(periodId, msg.sender, net, drawn);
        unchecked {
            // share > drawn checked above
            amount = share - drawn;
        }
        pos.settled = SafeCast.toUint120(share);
        // amount <= share <= net <= owed < 2^128
        // forge-lint: disable-next-line(unsafe-typecast)
        p.withdrawn += uint128(amount);
        _held -= amount;
        emit SettlementWithdrawn(periodId, msg.sender, amount, share, net);
        _credit.safeTransfer(msg.sender, amount);
    }

    /// @notice Flags `library_` as having defaulted on its net debt of `periodId`: callable by
    /// anyone once the period's deadline has passed and the debt is not fully paid. Once per
    /// library and period; the flag stays even if the library pays late.
    function flagDefault(uint256 periodId, address library_) external whenNotPaused {
        Period storage p = _closedPeriod(periodId);
        if (block.timestamp <= p.deadline) revert ClearingDeadlineNotPassed(periodId, p.deadline, block.timestamp);
        Position storage pos = _positions[periodId][library_];
        int128 net = pos.net;
        uint256 paid = pos.settled;
        // cast only when net < 0
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 debt = net < 0 ? uint256(-int256(net)) : 0;
        if (paid >= debt) revert ClearingNotInDefault(periodId, library_, net, paid);
        if (pos.defaulted) revert ClearingAlreadyFlagged(periodId, library_);
        pos.defaulted = true;
        unchecked {
            // paid < debt checked above
            emit SettlementDefaulted(periodId, library_, debt - paid, p.deadline, msg.sender);
        }
    }

    // ------------------------------------------------------------------ views

    function credit() external view returns (Credit) {
        return _credit;
    }

    /// @notice Id of the open period (charges land there). Periods start at 1.
    function currentPeriod() external view returns (uint256) {
        return _currentPeriod;
    }

    function period(uint256 periodId) external view returns (Period memory) {
        return _periods[periodId];
    }

    /// @notice Signed net of `library_` in `periodId` (fen; > 0 owed to it, < 0 it owes).
    function netPosition(uint256 periodId, address library_) external view returns (int256) {
        return _positions[periodId][library_].net;
    }

    function position(uint256 periodId, address library_) external view returns (Position memory) {
        return _positions[periodId][library_];
    }

    /// @notice Fen `library_` still has to pay for `periodId` (0 for a creditor or an open period).
    function amountDue(uint256 periodId, address library_) external view returns (uint256) {
        if (_periods[periodId].closedAt == 0) return 0;
        Position storage pos = _positions[periodId][library_];
        uint256 debt = pos.net < 0 ? uint256(-int256(pos.net)) : 0;
        return debt > pos.settled ? debt - pos.settled : 0;
    }

    /// @notice Fen `library_` could withdraw for `periodId` now.
    function withdrawable(uint256 periodId, address library_) external view returns (uint256) {
        Period storage p = _periods[periodId];
        if (p.closedAt == 0) return 0;
        Position storage pos = _positions[periodId][library_];
        if (pos.net <= 0) return 0;
        uint256 share = _share(uint256(int256(pos.net)), p.paidIn, p.owed);
        return share > pos.settled ? share - pos.settled : 0;
    }

    /// @notice Credit Clearing holds for creditors: Σ over periods of (paidIn − withdrawn).
    function heldCredit() external view returns (uint256) {
        return _held;
    }

    function settlementWindow() external view returns (uint256) {
        return _settlementWindow;
    }

    // ------------------------------------------------------------------ internals

    /// @dev Moves `amount` from `creditor`'s side to `debtor`'s in `periodId` and keeps the
    /// period's `owed` = Σ max(0, -net) (only these two nets change).
    function _move(uint256 periodId, address debtor, address creditor, uint256 amount)
        private
        returns (int256 dNew, int256 cNew)
    {
        int128 delta = SafeCast.toInt128(SafeCast.toInt256(amount));
        Position storage d = _positions[periodId][debtor];
        Position storage c = _positions[periodId][creditor];
        int128 dOld = d.net;
        int128 cOld = c.net;
        d.net = dOld - delta;
        c.net = cOld + delta;
        dNew = d.net;
        cNew = c.net;
        Period storage p = _periods[periodId];
        int256 owed = int256(uint256(p.owed)) + _debt(dNew) - _debt(dOld) + _debt(cNew) - _debt(cOld);
        p.owed = SafeCast.toUint128(SafeCast.toUint256(owed));
    }

    function _closedPeriod(uint256 periodId) private view returns (Period storage p) {
        p = _periods[periodId];
        if (p.closedAt == 0) revert ClearingPeriodNotClosed(periodId);
    }

    /// @dev Debt part of a net: max(0, -net).
    function _debt(int256 net) private pure returns (int256) {
        return net < 0 ? -net : int256(0);
    }

    /// @dev floor(net * paidIn / owed); net <= owed and paidIn <= owed, all < 2^128, so the
    /// product fits 256 bits.
    function _share(uint256 net, uint256 paidIn, uint256 owed) private pure returns (uint256) {
        if (owed == 0) return 0;
        return net * paidIn / owed;
    }
}
