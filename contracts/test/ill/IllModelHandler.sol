// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {InterlibraryLoan} from "../../src/InterlibraryLoan.sol";
import {Clearing} from "../../src/Clearing.sol";
import {Cheats, Vm} from "./Cheats.sol";

/// @title IllModelHandler — random actions by random parties against InterlibraryLoan, each
/// checked against a reference model of the ISO 18626 state table written here, independently
/// of the contract (explicit tables, not the contract's ranks).
/// @dev Forge's invariant runner swallows handler reverts, so every disagreement is recorded in
/// ghost counters that the invariant functions assert to be zero.
contract IllModelHandler is Cheats {
    // Status numbers (the enum's values)
    uint8 constant NONE = 0;
    uint8 constant RR = 1;
    uint8 constant ETS = 2;
    uint8 constant WS = 3;
    uint8 constant RP = 4;
    uint8 constant UF = 5;
    uint8 constant LOANED = 6;
    uint8 constant OVERDUE = 7;
    uint8 constant RECALLED = 8;
    uint8 constant CANCELLED = 9;
    uint8 constant CWR = 10;
    uint8 constant CC = 11;
    uint8 constant LC = 12;

    uint256 constant TERMINAL = (1 << RP) | (1 << UF) | (1 << CANCELLED) | (1 << CWR) | (1 << CC) | (1 << LC);
    uint256 constant ON_LOAN = (1 << LOANED) | (1 << OVERDUE) | (1 << RECALLED);
    uint256 constant PRE_SUPPLY = (1 << RR) | (1 << ETS) | (1 << WS);

    enum Outcome {
        Revert,
        Ignore,
        Apply
    }

    /// The model of one request.
    struct M {
        uint8 status;
        bool loan;
        address requester;
        address supplier;
        address borrower;
        uint256 due;
        uint256 maxCost;
        bool cancelP;
        bool renewP;
        bool received;
        bool returned;
        bool lost;
        bool found;
        uint256 lending;
        uint256 lendingRef;
        uint256 repl;
        uint256 replRef;
    }

    InterlibraryLoan public immutable ill;
    Clearing public immutable clearing;
    address[5] internal actors; // four libraries and an outsider (index 4)

    uint256[] public ids;
    mapping(uint256 id => M) internal _m;
    uint256 internal _nonce;

    // ghost counters: all must stay zero
    uint256 public mismatches;
    uint256 public backwardMoves;
    uint256 public terminalChanged;
    uint256 public wrongPartyAccepted;
    string public firstMismatch;

    // coverage counters
    uint256 public applied;
    uint256 public ignored;
    uint256 public reverted;
    mapping(uint8 status => uint256) public reached;

    constructor(InterlibraryLoan ill_, Clearing clearing_, address[5] memory actors_) {
        ill = ill_;
        clearing = clearing_;
        actors = actors_;
    }

    function idCount() external view returns (uint256) {
        return ids.length;
    }

    // ------------------------------------------------------------------ model tables

    /// @dev next statuses `updateStatus` applies from `cur` (before conditions on dates and money).
    function _allowed(uint8 cur, bool loan) internal pure returns (uint256) {
        uint256 supply = loan ? (1 << LOANED) : (1 << CC);
        if (cur == RR) return (1 << ETS) | (1 << WS) | (1 << RP) | (1 << UF) | supply;
        if (cur == ETS) return (1 << WS) | (1 << RP) | (1 << UF) | supply;
        if (cur == WS) return (1 << RP) | (1 << UF) | supply;
        if (cur == LOANED) return (1 << OVERDUE) | (1 << RECALLED) | (1 << LC) | (1 << CWR);
        if (cur == OVERDUE) return (1 << LOANED) | (1 << RECALLED) | (1 << LC) | (1 << CWR);
        if (cur == RECALLED) return (1 << LC) | (1 << CWR);
        return 0;
    }

    /// @dev next statuses `updateStatus` records as overtaken (stale or repeated) from `cur`.
    function _stale(uint8 cur) internal pure returns (uint256) {
        if (cur == RR) return (1 << RR);
        if (cur == ETS) return (1 << RR) | (1 << ETS);
        if (cur == WS) return (1 << RR) | (1 << ETS) | (1 << WS);
        uint256 pre = (1 << RR) | (1 << ETS) | (1 << WS) | (1 << RP) | (1 << UF);
        if (cur == LOANED) return pre | (1 << LOANED);
        if (cur == OVERDUE) return pre | (1 << OVERDUE);
        if (cur == RECALLED) return pre | (1 << LOANED) | (1 << OVERDUE) | (1 << RECALLED);
        return 0;
    }

    /// @dev Phase order used by the no-backward invariant (independent statement of "forward").
    function _phase(uint8 s) internal pure returns (uint256) {
        if (s == RR) return 1;
        if (s == ETS) return 2;
        if (s == WS) return 3;
        if (s == RP || s == UF || s == CANCELLED) return 4;
        if (s == LOANED || s == OVERDUE) return 5;
        if (s == RECALLED) return 6;
        if (s == LC || s == CWR || s == CC) return 7;
        return 0;
    }

    function _has(uint256 set, uint8 s) internal pure returns (bool) {
        return (set >> s) & 1 == 1;
    }

    function _isLib(address a) internal view returns (bool) {
        return a != address(0) && (a == actors[0] || a == actors[1] || a == actors[2] || a == actors[3]);
    }

    // ------------------------------------------------------------------ picking

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % 5];
    }

    function _pickId(uint256 seed) internal view returns (uint256) {
        if (ids.length == 0 || seed % 23 == 0) return uint256(keccak256(abi.encode("unknown", seed)));
        return ids[seed % ids.length];
    }

    /// @dev The right party most of the time, anyone otherwise.
    function _partyOr(address right, uint256 seed) internal view returns (address) {
        return seed % 10 < 8 ? right : _actor(seed >> 8);
    }

    // ------------------------------------------------------------------ actions

    function submit(uint256 seed) external {
        if (ids.length >= 5) return;
        address requester = seed % 8 == 0 ? _actor(seed >> 3) : actors[(seed >> 3) % 4];
        address supplier =
            (seed >> 11) % 8 == 0 ? actors[(seed >> 14) % 5] : actors[((seed >> 3) + 1 + (seed >> 14) % 3) % 4];
        bool loan = (seed >> 19) % 3 != 0;
        uint256 maxCost = _bound(seed >> 24, 0, 100_00);
        bytes32 ownId = keccak256(abi.encode(address(this), ++_nonce));
        InterlibraryLoan.NewRequest memory r;
        r.supplier = supplier;
        r.service = loan ? InterlibraryLoan.ServiceType.Loan : InterlibraryLoan.ServiceType.Copy;
        r.itemKind = InterlibraryLoan.ItemKind.Bibliographic;
        r.item = keccak256(abi.encode(seed));
        r.maxCost = maxCost;
        r.ownId = ownId;
        bool expectOk = _isLib(requester) && _isLib(supplier) && requester != supplier;
        vm.prank(requester);
        try ill.submitRequest(r) returns (uint256 id) {
            if (!expectOk) _mismatch("submit accepted", id, 0, 0);
            ids.push(id);
            M storage m = _m[id];
            m.status = RR;
            m.loan = loan;
            m.requester = requester;
            m.supplier = supplier;
            m.borrower = requester;
            m.maxCost = maxCost;
            _compare(id);
            applied++;
        } catch {
            if (expectOk) _mismatch("submit reverted", 0, 0, 0);
            reverted++;
        }
    }

    function update(uint256 seed, uint256 seed2) external {
        uint256 id = _pickId(seed);
        M memory m = _m[id];
        address actor = _partyOr(m.supplier, seed >> 5);
        uint8 next = _pickNext(m, seed2);
        uint256 due = _pickDue(seed2 >> 8);
        uint256 charge = _pickCharge(m, seed2 >> 40);
        (Outcome o, M memory after_) = _expectUpdate(m, actor, next, due, charge);
        vm.recordLogs();
        vm.prank(actor);
        try ill.updateStatus(id, InterlibraryLoan.Status(next), 0, uint8(seed2 >> 90), due, charge) {
            _settle(id, o, after_, true, actor, "update");
        } catch {
            _settle(id, o, after_, false, actor, "update");
        }
    }

    function act(uint256 seed, uint256 seed2) external {
        uint256 id = _pickId(seed);
        M memory m = _m[id];
        uint8 action = uint8(seed2 % 6);
        address actor = _partyOr(action == 1 ? m.requester : m.borrower, seed >> 5);
        address to = address(0);
        if (action == 4 || seed2 % 17 == 0) to = actors[(seed2 >> 8) % 5];
        (Outcome o, M memory after_) = _expectAct(m, actor, action, to);
        vm.recordLogs();
        vm.prank(actor);
        try ill.act(id, InterlibraryLoan.Action(action), to) {
            _settle(id, o, after_, true, actor, "act");
        } catch {
            _settle(id, o, after_, false, actor, "act");
        }
    }

    function answerCancel(uint256 seed, bool accept) external {
        uint256 id = _pickId(seed);
        M memory m = _m[id];
        address actor = _partyOr(m.supplier, seed >> 5);
        Outcome o = Outcome.Apply;
        M memory a = m;
        if (!_isLib(actor) || m.status == NONE || actor != m.supplier || _has(TERMINAL, m.status) || !m.cancelP) {
            o = Outcome.Revert;
        } else {
            a.cancelP = false;
            if (accept) a.status = CANCELLED;
        }
        vm.recordLogs();
        vm.prank(actor);
        try ill.answerCancel(id, accept) {
            _settle(id, o, a, true, actor, "answerCancel");
        } catch {
            _settle(id, o, a, false, actor, "answerCancel");
        }
    }

    function answerRenew(uint256 seed, uint256 seed2) external {
        uint256 id = _pickId(seed);
        M memory m = _m[id];
        address actor = _partyOr(m.supplier, seed >> 5);
        uint256 newDue = seed2 % 3 == 0 ? 0 : _pickDue(seed2 >> 2);
        Outcome o = Outcome.Apply;
        M memory a = m;
        if (!_isLib(actor) || m.status == NONE || actor != m.supplier || _has(TERMINAL, m.status) || !m.renewP) {
            o = Outcome.Revert;
        } else if (newDue == 0) {
            a.renewP = false;
        } else if (newDue <= block.timestamp || newDue <= m.due) {
            o = Outcome.Revert;
        } else {
            a.renewP = false;
            a.due = newDue;
            a.status = LOANED;
        }
        vm.recordLogs();
        vm.prank(actor);
        try ill.answerRenew(id, newDue) {
            _settle(id, o, a, true, actor, "answerRenew");
        } catch {
            _settle(id, o, a, false, actor, "answerRenew");
        }
    }

    function markOverdue(uint256 seed) external {
        uint256 id = _pickId(seed);
        M memory m = _m[id];
        address actor = _actor(seed >> 5); // anyone, outsider included
        Outcome o;
        M memory a = m;
        if (m.status == NONE || _has(TERMINAL, m.status)) o = Outcome.Revert;
        else if (m.status == OVERDUE || m.status == RECALLED) o = Outcome.Ignore;
        else if (m.status != LOANED || block.timestamp <= m.due) o = Outcome.Revert;
        else (o, a.status) = (Outcome.Apply, OVERDUE);
        vm.recordLogs();
        vm.prank(actor);
        try ill.markOverdue(id) {
            _settle(id, o, a, true, actor, "markOverdue");
        } catch {
            _settle(id, o, a, false, actor, "markOverdue");
        }
    }

    function refundCharge(uint256 seed, uint256 amount) external {
        uint256 id = _pickId(seed);
        M memory m = _m[id];
        address actor = _partyOr(m.supplier, seed >> 5);
        amount = _bound(amount, 0, m.lending + 1);
        Outcome o = Outcome.Apply;
        M memory a = m;
        if (
            !_isLib(actor) || m.status == NONE || actor != m.supplier || amount == 0
                || amount > m.lending - m.lendingRef
        ) o = Outcome.Revert;
        else a.lendingRef += amount;
        vm.recordLogs();
        vm.prank(actor);
        try ill.refundCharge(id, amount) {
            _settle(id, o, a, true, actor, "refundCharge");
        } catch {
            _settle(id, o, a, false, actor, "refundCharge");
        }
    }

    function recordFound(uint256 seed, uint256 refund) external {
        uint256 id = _pickId(seed);
        M memory m = _m[id];
        address actor = _partyOr(m.supplier, seed >> 5);
        refund = _bound(refund, 0, m.repl + 1);
        Outcome o = Outcome.Apply;
        M memory a = m;
        if (
            !_isLib(actor) || m.status == NONE || actor != m.supplier || m.status != CWR || m.found
                || refund > m.repl - m.replRef
        ) o = Outcome.Revert;
        else (a.found, a.replRef) = (true, m.replRef + refund);
        vm.recordLogs();
        vm.prank(actor);
        try ill.recordFound(id, refund) {
            _settle(id, o, a, true, actor, "recordFound");
        } catch {
            _settle(id, o, a, false, actor, "recordFound");
        }
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + _bound(seconds_, 0, 15 days));
    }

    // ------------------------------------------------------------------ expectations

    function _expectUpdate(M memory m, address actor, uint8 next, uint256 due, uint256 charge)
        internal
        view
        returns (Outcome, M memory a)
    {
        a = _copy(m);
        if (!_isLib(actor) || m.status == NONE || actor != m.supplier) return (Outcome.Revert, a);
        if (_has(TERMINAL, m.status)) return (Outcome.Revert, a);
        if (next == NONE || next == CANCELLED) return (Outcome.Revert, a);
        if (_has(_stale(m.status), next)) return (Outcome.Ignore, a);
        if (!_has(_allowed(m.status, m.loan), next)) return (Outcome.Revert, a);
        bool fromPre = _has(PRE_SUPPLY, m.status);
        bool chargeable = (next == LOANED && fromPre) || next == CC || next == CWR;
        if (charge != 0 && !chargeable) return (Outcome.Revert, a);
        if ((next == LOANED && fromPre) || next == CC) {
            if (charge > m.maxCost) return (Outcome.Revert, a);
            a.lending = charge;
            a.cancelP = false;
        }
        if (next == LOANED) {
            if (due <= block.timestamp) return (Outcome.Revert, a);
            a.due = due;
        } else if (next == OVERDUE) {
            if (block.timestamp <= m.due) return (Outcome.Revert, a);
        } else if (next == RECALLED) {
            if (due != 0 && due <= block.timestamp) return (Outcome.Revert, a);
            if (due != 0) a.due = due;
            a.renewP = false;
        } else if (next == LC || next == CWR) {
            a.renewP = false;
            if (next == CWR) a.repl = charge;
        } else if (next == RP || next == UF) {
            a.cancelP = false;
        }
        a.status = next;
        return (Outcome.Apply, a);
    }

    function _expectAct(M memory m, address actor, uint8 action, address to)
        internal
        view
        returns (Outcome, M memory a)
    {
        a = _copy(m);
        if (!_isLib(actor) || m.status == NONE) return (Outcome.Revert, a);
        if (action != 4 && to != address(0)) return (Outcome.Revert, a);
        if (action == 1) {
            if (actor != m.requester || _has(TERMINAL, m.status)) return (Outcome.Revert, a);
            if (_has(ON_LOAN, m.status) || m.cancelP) return (Outcome.Ignore, a);
            a.cancelP = true;
            return (Outcome.Apply, a);
        }
        if (actor != m.borrower || _has(TERMINAL, m.status) || !_has(ON_LOAN, m.status)) return (Outcome.Revert, a);
        if (action == 0) {
            if (m.received) return (Outcome.Ignore, a);
            a.received = true;
        } else if (action == 2) {
            if (m.status == RECALLED || m.renewP || m.returned || m.lost) return (Outcome.Ignore, a);
            a.renewP = true;
        } else if (action == 3) {
            if (m.returned || m.lost) return (Outcome.Ignore, a);
            (a.returned, a.renewP) = (true, false);
        } else if (action == 4) {
            if (m.returned || m.lost) return (Outcome.Revert, a);
            if (to == address(0) || to == m.supplier || to == actor || !_isLib(to)) return (Outcome.Revert, a);
            (a.borrower, a.received, a.renewP) = (to, false, false);
        } else {
            if (m.lost) return (Outcome.Ignore, a);
            (a.lost, a.renewP) = (true, false);
        }
        return (Outcome.Apply, a);
    }

    // ------------------------------------------------------------------ checking

    function _settle(uint256 id, Outcome o, M memory a, bool ok, address actor, string memory what) internal {
        M memory before = _m[id];
        uint8 chainBefore = before.status; // the model agreed with the chain before this call
        if (!ok) {
            reverted++;
            if (o != Outcome.Revert) _mismatch(string.concat(what, ": reverted"), id, before.status, uint8(o));
        } else if (o == Outcome.Revert) {
            _mismatch(string.concat(what, ": accepted"), id, before.status, 0);
            if (actor != before.supplier && actor != before.requester && actor != before.borrower) {
                wrongPartyAccepted++;
            }
        } else {
            bool saidIgnored = _loggedIgnored();
            if (o == Outcome.Ignore) {
                ignored++;
                if (!saidIgnored) _mismatch(string.concat(what, ": applied, not ignored"), id, before.status, 0);
            } else {
                applied++;
                if (saidIgnored) _mismatch(string.concat(what, ": ignored, not applied"), id, before.status, 0);
                _store(id, a);
            }
        }
        if (before.status == NONE) return;
        uint8 chainAfter = uint8(ill.statusOf(id));
        if (chainAfter != chainBefore) {
            if (_has(TERMINAL, chainBefore)) terminalChanged++;
            uint256 p0 = _phase(chainBefore);
            uint256 p1 = _phase(chainAfter);
            bool loanedOverdue = p0 == 5 && p1 == 5;
            if (p1 < p0 || (p1 == p0 && !loanedOverdue)) backwardMoves++;
            reached[chainAfter]++;
        }
        _compare(id);
    }

    /// @dev True when the call's logs hold an "ignored" event and no change event of ILL.
    function _loggedIgnored() internal returns (bool ignoredSeen) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bool changeSeen;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].emitter != address(ill)) continue;
            bytes32 t = logs[i].topics[0];
            if (t == InterlibraryLoan.StatusUpdateIgnored.selector || t == InterlibraryLoan.ActionIgnored.selector) {
                ignoredSeen = true;
            } else {
                changeSeen = true;
            }
        }
        if (ignoredSeen && changeSeen) mismatches++;
    }

    function _compare(uint256 id) internal {
        M memory m = _m[id];
        InterlibraryLoan.RequestView memory v = ill.request(id);
        if (uint8(v.status) != m.status) return _mismatch("status", id, uint8(v.status), m.status);
        if (v.borrower != m.borrower) return _mismatch("borrower", id, m.status, 0);
        if (v.dueDate != m.due) return _mismatch("due", id, m.status, 0);
        if (v.cancelPending != m.cancelP || v.renewPending != m.renewP) return _mismatch("pending", id, m.status, 0);
        if (v.received != m.received || v.returnShipped != m.returned || v.lostReported != m.lost) {
            return _mismatch("flags", id, m.status, 0);
        }
        if (v.found != m.found) return _mismatch("found", id, m.status, 0);
        if (
            v.lendingCharged != m.lending || v.lendingRefunded != m.lendingRef || v.replacementCharged != m.repl
                || v.replacementRefunded != m.replRef
        ) return _mismatch("charges", id, m.status, 0);
    }

    function _mismatch(string memory what, uint256 id, uint8 status, uint8 extra) internal {
        if (mismatches == 0) {
            firstMismatch =
                string.concat(what, " id=", _str(id % 1e6), " status=", _str(status), " extra=", _str(extra));
        }
        mismatches++;
    }

    function _store(uint256 id, M memory a) internal {
        _m[id] = a;
    }

    function _copy(M memory m) internal pure returns (M memory c) {
        // memory structs alias on assignment: build a new one
        c = M(
            m.status,
            m.loan,
            m.requester,
            m.supplier,
            m.borrower,
            m.due,
            m.maxCost,
            m.cancelP,
            m.renewP,
            m.received,
            m.returned,
            m.lost,
            m.found,
            m.lending,
            m.lendingRef,
            m.repl,
            m.replRef
        );
    }

    /// @dev Three times in four one of the statuses the table allows (uniformly), else any status.
    function _pickNext(M memory m, uint256 seed) internal pure returns (uint8) {
        uint256 allowed = _allowed(m.status, m.loan);
        if (seed % 4 != 0 && allowed != 0) {
            uint256 count;
            for (uint8 s = 0; s < 13; ++s) {
                if (_has(allowed, s)) count++;
            }
            uint256 pick = (seed >> 1) % count;
            for (uint8 s = 0; s < 13; ++s) {
                if (!_has(allowed, s)) continue;
                if (pick == 0) return s;
                --pick;
            }
        }
        return uint8((seed >> 1) % 13);
    }

    function _pickDue(uint256 seed) internal view returns (uint256) {
        uint256 k = seed % 8;
        if (k == 0) return 0;
        if (k == 1) return block.timestamp; // not in the future
        return block.timestamp + _bound(seed >> 3, 1, 10 days);
    }

    function _pickCharge(M memory m, uint256 seed) internal pure returns (uint256) {
        uint256 k = seed % 10;
        if (k < 5) return 0;
        if (k < 8) return _bound(seed >> 2, 1, m.maxCost == 0 ? 1 : m.maxCost);
        return m.maxCost + 1 + (seed >> 2) % 100;
    }

    function _str(uint256 v) internal pure returns (string memory) {
        if (v == 0) return "0";
        bytes memory b;
        while (v != 0) {
            b = abi.encodePacked(bytes1(uint8(48 + v % 10)), b);
            v /= 10;
        }
        return string(b);
    }
}
