// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {InterlibraryLoan} from "../src/InterlibraryLoan.sol";
import {Clearing} from "../src/Clearing.sol";
import {ConsortiumGuarded} from "../src/access/ConsortiumGuarded.sol";
import {Roles} from "../src/access/Roles.sol";
import {IRoyalties} from "../src/interfaces/IRoyalties.sol";
import {MockLicensing} from "./mocks/MockLicensing.sol";
import {IllFixture} from "./ill/IllFixture.sol";

/// Every transition of the ILL state table, the inputs that revert, the ones that are
/// recorded and ignored, return-anywhere, loss + found, refunds, retry, digital ILL (doubles).
contract InterlibraryLoanTest is IllFixture {
    InterlibraryLoan.Status constant NONE = InterlibraryLoan.Status.None;
    InterlibraryLoan.Status constant RR = InterlibraryLoan.Status.RequestReceived;
    InterlibraryLoan.Status constant ETS = InterlibraryLoan.Status.ExpectToSupply;
    InterlibraryLoan.Status constant WS = InterlibraryLoan.Status.WillSupply;
    InterlibraryLoan.Status constant RP = InterlibraryLoan.Status.RetryPossible;
    InterlibraryLoan.Status constant UF = InterlibraryLoan.Status.Unfilled;
    InterlibraryLoan.Status constant LOANED = InterlibraryLoan.Status.Loaned;
    InterlibraryLoan.Status constant OVERDUE = InterlibraryLoan.Status.Overdue;
    InterlibraryLoan.Status constant RECALLED = InterlibraryLoan.Status.Recalled;
    InterlibraryLoan.Status constant CANCELLED = InterlibraryLoan.Status.Cancelled;
    InterlibraryLoan.Status constant CWR = InterlibraryLoan.Status.CompletedWithoutReturn;
    InterlibraryLoan.Status constant CC = InterlibraryLoan.Status.CopyCompleted;
    InterlibraryLoan.Status constant LC = InterlibraryLoan.Status.LoanCompleted;

    InterlibraryLoan.ServiceType constant LOAN = InterlibraryLoan.ServiceType.Loan;
    InterlibraryLoan.ServiceType constant COPY = InterlibraryLoan.ServiceType.Copy;

    uint256 private _nonce;

    event StatusChanged(
        uint256 indexed requestId,
        InterlibraryLoan.Status from,
        InterlibraryLoan.Status to,
        address indexed actor,
        uint16 reasonScheme,
        uint8 reasonCode,
        uint256 dueDate
    );
    event StatusUpdateIgnored(
        uint256 indexed requestId,
        InterlibraryLoan.Status current,
        InterlibraryLoan.Status proposed,
        address indexed actor,
        uint16 reasonScheme,
        uint8 reasonCode
    );
    event ActionIgnored(
        uint256 indexed requestId, InterlibraryLoan.Action action, address indexed actor, InterlibraryLoan.Status status
    );
    event IllRequested(
        uint256 indexed requestId,
        address indexed requester,
        address indexed supplier,
        bytes32 ownId,
        InterlibraryLoan.ServiceType service,
        InterlibraryLoan.ItemKind itemKind,
        bytes32 item,
        uint256 maxCost,
        uint256 needBefore,
        uint256 retryOf,
        uint256 licenceId
    );

    function setUp() public {
        _deployFixture();
    }

    // ------------------------------------------------------------------ helpers

    function _own() private returns (bytes32) {
        return bytes32(++_nonce);
    }

    /// @dev A fresh request (loan or copy) brought to `target` through the public functions.
    function _driveTo(InterlibraryLoan.Status target, InterlibraryLoan.ServiceType service)
        private
        returns (uint256 id)
    {
        id = service == LOAN ? _requestLoan(_own()) : _requestCopy(_own());
        if (target == RR) return id;
        if (target == CANCELLED) {
            vm.prank(libA);
            ill.act(id, InterlibraryLoan.Action.Cancel, address(0));
            vm.prank(libB);
            ill.answerCancel(id, true);
            return id;
        }
        if (target == ETS || target == WS || target == RP || target == UF || target == CC) {
            _update(id, target, 0, 0);
            return id;
        }
        _update(id, LOANED, block.timestamp + 14 days, 0);
        if (target == LOANED) return id;
        if (target == OVERDUE) {
            vm.warp(block.timestamp + 15 days);
            ill.markOverdue(id);
            return id;
        }
        if (target == RECALLED || target == LC || target == CWR) {
            _update(id, target, 0, 0);
            return id;
        }
        revert("unreachable target");
    }

    function _err(bytes4 sel, uint256 id, address who) private pure returns (bytes memory) {
        return abi.encodeWithSelector(sel, id, who);
    }

    // ------------------------------------------------------------------ request

    function test_submitRequest_startsAtRequestReceived_withDeterministicId() public {
        InterlibraryLoan.NewRequest memory r = _newRequest(libB, LOAN, 50_00, "ILL-2026-0001");
        r.needBefore = block.timestamp + 30 days;
        uint256 expected = uint256(keccak256(abi.encode(libA, bytes32("ILL-2026-0001")))) >> 160;
        vm.expectEmit(true, true, true, true, address(ill));
        emit IllRequested(expected, libA, libB, "ILL-2026-0001", LOAN, r.itemKind, r.item, 50_00, r.needBefore, 0, 0);
        vm.prank(libA);
        uint256 id = ill.submitRequest(r);
        vm.assertEq(id, expected, "id = top 96 bits of keccak(requester, ownId)");
        vm.assertEq(ill.requestIdOf(libA, "ILL-2026-0001"), id, "requestIdOf");
        vm.assertEq(ill.requestIdOf(libC, "ILL-2026-0001"), 0, "unique per requester only");
        InterlibraryLoan.RequestView memory v = ill.request(id);
        vm.assertEq(v.requester, libA, "requester");
        vm.assertEq(v.supplier, libB, "supplier");
        vm.assertEq(v.borrower, libA, "borrower");
        vm.assertEq(uint256(v.status), uint256(RR), "status");
        vm.assertEq(v.maxCost, 50_00, "maxCost");
        vm.assertEq(v.needBefore, r.needBefore, "needBefore");
        vm.assertEq(v.item, r.item, "item");
    }

    function test_submitRequest_duplicateRevertsWithExistingId() public {
        uint256 id = _requestLoan("dup");
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllDuplicateRequest.selector, libA, bytes32("dup"), id));
        _requestLoan("dup");
        // another requester may use the same own id
        vm.prank(libC);
        ill.submitRequest(_newRequest(libB, LOAN, 1, "dup"));
    }

    function test_submitRequest_badInputsRevert() public {
        InterlibraryLoan.NewRequest memory r = _newRequest(libB, LOAN, 1, "x");
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, outsider, Roles.LIBRARY));
        ill.submitRequest(r);

        r.supplier = libA;
        vm.prank(libA);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllSelfRequest.selector, libA));
        ill.submitRequest(r);

        r.supplier = platform;
        vm.prank(libA);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllSupplierNotLibrary.selector, platform));
        ill.submitRequest(r);

        r.supplier = libB;
        r.needBefore = block.timestamp;
        vm.prank(libA);
        vm.expectRevert(
            abi.encodeWithSelector(InterlibraryLoan.IllNeedBeforePassed.selector, block.timestamp, block.timestamp)
        );
        ill.submitRequest(r);

        r.needBefore = 0;
        r.ownId = 0;
        vm.prank(libA);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllInvalidInput.selector, 6));
        ill.submitRequest(r);

        r.ownId = "x";
        r.licenceId = 5; // digital needs a Work item and a loan
        vm.prank(libA);
        vm.expectRevert(
            abi.encodeWithSelector(
                InterlibraryLoan.IllDigitalNeedsWorkLoan.selector, LOAN, InterlibraryLoan.ItemKind.Bibliographic
            )
        );
        ill.submitRequest(r);
    }

    // ------------------------------------------------------------------ every allowed transition

    function test_everySupplierTransition() public {
        InterlibraryLoan.Status[2][] memory pairs = new InterlibraryLoan.Status[2][](21);
        uint256 n;
        pairs[n++] = [RR, ETS];
        pairs[n++] = [RR, WS];
        pairs[n++] = [RR, RP];
        pairs[n++] = [RR, UF];
        pairs[n++] = [RR, LOANED];
        pairs[n++] = [ETS, WS];
        pairs[n++] = [ETS, RP];
        pairs[n++] = [ETS, UF];
        pairs[n++] = [ETS, LOANED];
        pairs[n++] = [WS, RP];
        pairs[n++] = [WS, UF];
        pairs[n++] = [WS, LOANED];
        pairs[n++] = [LOANED, RECALLED];
        pairs[n++] = [LOANED, LC];
        pairs[n++] = [LOANED, CWR];
        pairs[n++] = [OVERDUE, LOANED];
        pairs[n++] = [OVERDUE, RECALLED];
        pairs[n++] = [OVERDUE, LC];
        pairs[n++] = [OVERDUE, CWR];
        pairs[n++] = [RECALLED, LC];
        pairs[n++] = [RECALLED, CWR];
        for (uint256 i = 0; i < n; ++i) {
            uint256 id = _driveTo(pairs[i][0], LOAN);
            uint256 due = pairs[i][1] == LOANED ? block.timestamp + 7 days : 0;
            vm.expectEmit(true, true, false, true, address(ill));
            emit StatusChanged(id, pairs[i][0], pairs[i][1], libB, 0, 0, due == 0 ? ill.request(id).dueDate : due);
            _update(id, pairs[i][1], due, 0);
            _checkStatus(id, pairs[i][1], "transition applied");
        }
        // copy requests complete from every pre-supply status
        InterlibraryLoan.Status[3] memory pre = [RR, ETS, WS];
        for (uint256 i = 0; i < 3; ++i) {
            uint256 id = _driveTo(pre[i], COPY);
            _update(id, CC, 0, 0);
            _checkStatus(id, CC, "copy completed");
        }
        // the supplier marks an overdue loan itself
        uint256 od = _driveTo(LOANED, LOAN);
        vm.warp(block.timestamp + 15 days);
        _update(od, OVERDUE, 0, 0);
        _checkStatus(od, OVERDUE, "supplier Overdue");
    }

    function test_cancel_acceptedFromEveryPreSupplyStatus() public {
        InterlibraryLoan.Status[3] memory pre = [RR, ETS, WS];
        for (uint256 i = 0; i < 3; ++i) {
            uint256 id = _driveTo(pre[i], LOAN);
            vm.prank(libA);
            ill.act(id, InterlibraryLoan.Action.Cancel, address(0));
            vm.assertTrue(ill.request(id).cancelPending, "pending");
            vm.expectEmit(true, true, false, true, address(ill));
            emit StatusChanged(id, pre[i], CANCELLED, libB, 0, 0, 0);
            vm.prank(libB);
            ill.answerCancel(id, true);
            _checkStatus(id, CANCELLED, "cancelled");
        }
    }

    function test_cancel_refusedKeepsGoing_andLoanedAnswersImplicitly() public {
        uint256 id = _driveTo(WS, LOAN);
        vm.prank(libA);
        ill.act(id, InterlibraryLoan.Action.Cancel, address(0));
        vm.prank(libB);
        ill.answerCancel(id, false);
        _checkStatus(id, WS, "refused");
        vm.assertFalse(ill.request(id).cancelPending, "cleared");
        vm.prank(libB);
        vm.expectRevert(
            abi.encodeWithSelector(InterlibraryLoan.IllNoPendingAction.selector, id, InterlibraryLoan.Action.Cancel)
        );
        ill.answerCancel(id, true);
        // a new cancel crosses the supplier's Loaned: Loaned answers it (no) and a late
        // cancel is recorded, not reverted
        vm.prank(libA);
        ill.act(id, InterlibraryLoan.Action.Cancel, address(0));
        _update(id, LOANED, block.timestamp + 1 days, 0);
        vm.assertFalse(ill.request(id).cancelPending, "implicitly answered");
        vm.expectEmit(true, true, false, true, address(ill));
        emit ActionIgnored(id, InterlibraryLoan.Action.Cancel, libA, LOANED);
        vm.prank(libA);
        ill.act(id, InterlibraryLoan.Action.Cancel, address(0));
        _checkStatus(id, LOANED, "still loaned");
    }

    function test_renewal_keepsLoanedWithNewDueDate_andBringsOverdueBack() public {
        uint256 id = _driveTo(LOANED, LOAN);
        uint256 due = ill.request(id).dueDate;
        vm.prank(libA);
        ill.act(id, InterlibraryLoan.Action.Renew, address(0));
        vm.prank(libB);
        ill.answerRenew(id, due + 14 days);
        _checkStatus(id, LOANED, "renewed");
        vm.assertEq(ill.request(id).dueDate, due + 14 days, "new due");

        vm.warp(due + 15 days);
        ill.markOverdue(id);
        vm.prank(libA);
        ill.act(id, InterlibraryLoan.Action.Renew, address(0));
        // a due date not after now is refused with values
        vm.prank(libB);
        vm.expectRevert(
            abi.encodeWithSelector(InterlibraryLoan.IllBadDueDate.selector, id, block.timestamp, block.timestamp + 1)
        );
        ill.answerRenew(id, block.timestamp);
        vm.expectEmit(true, true, false, true, address(ill));
        emit StatusChanged(id, OVERDUE, LOANED, libB, 0, 0, block.timestamp + 7 days);
        vm.prank(libB);
        ill.answerRenew(id, block.timestamp + 7 days);
        _checkStatus(id, LOANED, "overdue -> loaned by renewal");

        // refusal keeps the due date
        vm.prank(libA);
        ill.act(id, InterlibraryLoan.Action.Renew, address(0));
        vm.prank(libB);
        ill.answerRenew(id, 0);
        vm.assertEq(ill.request(id).dueDate, block.timestamp + 7 days, "refused: unchanged");
        vm.assertFalse(ill.request(id).renewPending, "answered");
    }

    function test_recall_setsEarlierDueDate_andCrossedRenewIsIgnored() public {
        uint256 id = _driveTo(LOANED, LOAN);
        vm.prank(libA);
        ill.act(id, InterlibraryLoan.Action.Renew, address(0));
        _update(id, RECALLED, block.timestamp + 2 days, 0);
        vm.assertEq(ill.request(id).dueDate, block.timestamp + 2 days, "recall due");
        vm.assertFalse(ill.request(id).renewPending, "recall refuses the renewal");
        vm.prank(libA);
        ill.act(id, InterlibraryLoan.Action.Renew, address(0));
        vm.assertFalse(ill.request(id).renewPending, "renew after recall ignored");
        vm.prank(libA);
        ill.act(id, InterlibraryLoan.Action.ShippedReturn, address(0));
        _update(id, LC, 0, 0);
        _checkStatus(id, LC, "returned");
    }

    function test_markOverdue_byAnyoneAfterDueOnly() public {
        uint256 id = _driveTo(LOANED, LOAN);
        uint256 due = ill.request(id).dueDate;
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllNotDue.selector, id, due, block.timestamp));
        ill.markOverdue(id);
        vm.warp(due + 1);
        vm.prank(outsider);
        ill.markOverdue(id);
        _checkStatus(id, OVERDUE, "overdue");
        vm.expectEmit(true, true, false, true, address(ill));
        emit StatusUpdateIgnored(id, OVERDUE, OVERDUE, outsider, 0, 0);
        vm.prank(outsider);
        ill.markOverdue(id);
        uint256 pre = _driveTo(WS, LOAN);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllInvalidTransition.selector, pre, WS, OVERDUE));
        ill.markOverdue(pre);
    }

    // ------------------------------------------------------------------ ignored (stale) updates

    function test_staleOrRepeatedStatusIsRecordedNotApplied() public {
        InterlibraryLoan.Status[2][] memory pairs = new InterlibraryLoan.Status[2][](16);
        uint256 n;
        pairs[n++] = [RR, RR];
        pairs[n++] = [ETS, RR];
        pairs[n++] = [ETS, ETS];
        pairs[n++] = [WS, ETS];
        pairs[n++] = [WS, WS];
        pairs[n++] = [LOANED, WS];
        pairs[n++] = [LOANED, RP];
        pairs[n++] = [LOANED, UF];
        pairs[n++] = [LOANED, LOANED];
        pairs[n++] = [OVERDUE, OVERDUE];
        pairs[n++] = [OVERDUE, ETS];
        pairs[n++] = [RECALLED, LOANED];
        pairs[n++] = [RECALLED, OVERDUE];
        pairs[n++] = [RECALLED, RECALLED];
        pairs[n++] = [RECALLED, UF];
        pairs[n++] = [RECALLED, RR];
        for (uint256 i = 0; i < n; ++i) {
            uint256 id = _driveTo(pairs[i][0], LOAN);
            uint256 due = ill.request(id).dueDate;
            vm.expectEmit(true, true, false, true, address(ill));
            emit StatusUpdateIgnored(id, pairs[i][0], pairs[i][1], libB, 0, 0);
            _update(id, pairs[i][1], block.timestamp + 30 days, 0);
            _checkStatus(id, pairs[i][0], "unchanged");
            vm.assertEq(ill.request(id).dueDate, due, "due unchanged");
        }
    }

    // ------------------------------------------------------------------ reverts

    function test_wrongPartyReverts() public {
        uint256 id = _driveTo(LOANED, LOAN);
        vm.prank(libA); // requester cannot set the supplier's status
        vm.expectRevert(_err(InterlibraryLoan.IllWrongParty.selector, id, libA));
        ill.updateStatus(id, LC, 0, 0, 0, 0);
        vm.prank(libC); // another library cannot act for the borrower
        vm.expectRevert(_err(InterlibraryLoan.IllWrongParty.selector, id, libC));
        ill.act(id, InterlibraryLoan.Action.ShippedReturn, address(0));
        vm.prank(libB); // the supplier cannot act for the requester
        vm.expectRevert(_err(InterlibraryLoan.IllWrongParty.selector, id, libB));
        ill.act(id, InterlibraryLoan.Action.Cancel, address(0));
        vm.prank(libA);
        vm.expectRevert(_err(InterlibraryLoan.IllWrongParty.selector, id, libA));
        ill.answerRenew(id, 0);
        vm.prank(outsider); // no role at all
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, outsider, Roles.LIBRARY));
        ill.updateStatus(id, LC, 0, 0, 0, 0);
    }

    function test_suspendedSupplierLosesWriteRights() public {
        uint256 id = _driveTo(RR, LOAN);
        vm.prank(governor);
        consortium.suspend(libB, "audit");
        vm.prank(libB);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, libB, Roles.LIBRARY));
        ill.updateStatus(id, ETS, 0, 0, 0, 0);
    }

    function test_unknownRequestReverts() public {
        vm.prank(libB);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllUnknownRequest.selector, 42));
        ill.updateStatus(42, ETS, 0, 0, 0, 0);
        vm.prank(libA);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllUnknownRequest.selector, 42));
        ill.act(42, InterlibraryLoan.Action.Received, address(0));
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllUnknownRequest.selector, 42));
        ill.markOverdue(42);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllUnknownRequest.selector, 42));
        ill.request(42);
    }

    function test_terminalAdmitsNothing() public {
        InterlibraryLoan.Status[6] memory terminals = [RP, UF, CANCELLED, CWR, LC, CC];
        for (uint256 i = 0; i < 6; ++i) {
            InterlibraryLoan.Status t = terminals[i];
            uint256 id = _driveTo(t, t == CC ? COPY : LOAN);
            vm.assertTrue(ill.isTerminal(t), "terminal");
            for (uint256 s = 1; s <= 12; ++s) {
                vm.prank(libB);
                vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllTerminalStatus.selector, id, t));
                ill.updateStatus(id, InterlibraryLoan.Status(s), 0, 0, block.timestamp + 1 days, 0);
            }
            for (uint256 a = 0; a <= 5; ++a) {
                address who = a == 1 ? libA : ill.borrowerOf(id);
                address to = a == 4 ? libC : address(0);
                vm.prank(who);
                vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllTerminalStatus.selector, id, t));
                ill.act(id, InterlibraryLoan.Action(a), to);
            }
            vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllTerminalStatus.selector, id, t));
            ill.markOverdue(id);
            vm.prank(libB);
            vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllTerminalStatus.selector, id, t));
            ill.answerCancel(id, true);
            _checkStatus(id, t, "still terminal");
        }
    }

    function test_impossibleTransitionsRevertWithValues() public {
        uint256 id = _driveTo(WS, LOAN);
        InterlibraryLoan.Status[4] memory bad = [OVERDUE, RECALLED, LC, CWR];
        for (uint256 i = 0; i < 4; ++i) {
            vm.prank(libB);
            vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllInvalidTransition.selector, id, WS, bad[i]));
            ill.updateStatus(id, bad[i], 0, 0, 0, 0);
        }
        vm.prank(libB); // Cancelled only through answerCancel
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllInvalidTransition.selector, id, WS, CANCELLED));
        ill.updateStatus(id, CANCELLED, 0, 0, 0, 0);
        vm.prank(libB);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllInvalidTransition.selector, id, WS, NONE));
        ill.updateStatus(id, NONE, 0, 0, 0, 0);
        vm.prank(libB); // a loan request cannot complete as a copy
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllWrongService.selector, id, LOAN, CC));
        ill.updateStatus(id, CC, 0, 0, 0, 0);
        vm.prank(libB); // Loaned needs a due date in the future
        vm.expectRevert(
            abi.encodeWithSelector(InterlibraryLoan.IllBadDueDate.selector, id, block.timestamp, block.timestamp + 1)
        );
        ill.updateStatus(id, LOANED, 0, 0, block.timestamp, 0);
        vm.prank(libB); // charges only with Loaned / CopyCompleted / CompletedWithoutReturn
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllChargeNotAllowed.selector, id, UF, 5));
        ill.updateStatus(id, UF, 0, 0, 0, 5);
        vm.prank(libA); // Received before the item is out
        vm.expectRevert(
            abi.encodeWithSelector(
                InterlibraryLoan.IllActionNotAllowed.selector, id, InterlibraryLoan.Action.Received, WS
            )
        );
        ill.act(id, InterlibraryLoan.Action.Received, address(0));

        uint256 copy = _driveTo(RR, COPY);
        vm.prank(libB);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllWrongService.selector, copy, COPY, LOANED));
        ill.updateStatus(copy, LOANED, 0, 0, block.timestamp + 1 days, 0);
    }

    // ------------------------------------------------------------------ charges

    function test_lendingCharge_neverAboveMaximumCost() public {
        uint256 id = _driveTo(WS, LOAN);
        vm.prank(libB);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllCostAboveMaximum.selector, id, 50_01, 50_00));
        ill.updateStatus(id, LOANED, 0, 0, block.timestamp + 1 days, 50_01);
        _update(id, LOANED, block.timestamp + 1 days, 50_00);
        uint256 p = clearing.currentPeriod();
        vm.assertEq(clearing.netPosition(p, libA), -50_00, "requester owes");
        vm.assertEq(clearing.netPosition(p, libB), 50_00, "supplier is owed");
        vm.assertEq(ill.request(id).lendingCharged, 50_00, "recorded");

        uint256 copy = _driveTo(ETS, COPY);
        vm.prank(libB);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllCostAboveMaximum.selector, copy, 20_01, 20_00));
        ill.updateStatus(copy, CC, 0, 0, 0, 20_01);
        _update(copy, CC, 0, 12_00);
        vm.assertEq(clearing.netPosition(p, libA), -62_00, "copy charge adds up");
    }

    function test_refundCharge_isCompensatingAndCapped() public {
        uint256 id = _driveTo(WS, LOAN);
        _update(id, LOANED, block.timestamp + 1 days, 30_00);
        _update(id, LC, 0, 0);
        vm.prank(libB); // allowed on a terminal request: it rewrites nothing
        ill.refundCharge(id, 10_00);
        vm.prank(libB);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllRefundAboveCharge.selector, id, 20_01, 20_00));
        ill.refundCharge(id, 20_01);
        vm.prank(libA);
        vm.expectRevert(_err(InterlibraryLoan.IllWrongParty.selector, id, libA));
        ill.refundCharge(id, 1);
        uint256 p = clearing.currentPeriod();
        vm.assertEq(clearing.netPosition(p, libA), -20_00, "net after refund");
        vm.assertEq(ill.request(id).lendingRefunded, 10_00, "refunded");
        _checkStatus(id, LC, "status untouched");
    }

    function test_lostAndFound_areCompensatingEntries() public {
        uint256 id = _driveTo(LOANED, LOAN);
        vm.prank(libA);
        ill.act(id, InterlibraryLoan.Action.Lost, address(0));
        vm.assertTrue(ill.request(id).lostReported, "lost reported");
        _update(id, CWR, 0, 120_00);
        uint256 p = clearing.currentPeriod();
        vm.assertEq(clearing.netPosition(p, libA), -120_00, "replacement owed by borrower");
        vm.assertEq(ill.request(id).replacementCharged, 120_00, "recorded");

        vm.prank(libB);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllRefundAboveCharge.selector, id, 120_01, 120_00));
        ill.recordFound(id, 120_01);
        vm.prank(libB);
        ill.recordFound(id, 100_00);
        vm.assertEq(clearing.netPosition(p, libA), -20_00, "refund nets out");
        vm.assertTrue(ill.request(id).found, "found");
        _checkStatus(id, CWR, "status not rewritten");
        vm.prank(libB);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllAlreadyFound.selector, id));
        ill.recordFound(id, 0);

        uint256 other = _driveTo(LC, LOAN);
        vm.prank(libB);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllInvalidTransition.selector, other, LC, LC));
        ill.recordFound(other, 0);
    }

    // ------------------------------------------------------------------ return anywhere

    function test_returnAnywhere_chainAcrossThreeLibraries() public {
        uint256 id = _driveTo(LOANED, LOAN);
        vm.prank(libA);
        ill.act(id, InterlibraryLoan.Action.Received, address(0));
        vm.prank(libA);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllBadForwardTarget.selector, id, libB));
        ill.act(id, InterlibraryLoan.Action.ShippedForward, libB); // back to the supplier is a return
        vm.prank(libA);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllBadForwardTarget.selector, id, outsider));
        ill.act(id, InterlibraryLoan.Action.ShippedForward, outsider);
        vm.prank(libA);
        ill.act(id, InterlibraryLoan.Action.ShippedForward, libC);
        vm.assertEq(ill.borrowerOf(id), libC, "C owes the return");
        vm.assertFalse(ill.request(id).received, "C has not received yet");
        vm.prank(libA); // A handed over the duty
        vm.expectRevert(_err(InterlibraryLoan.IllWrongParty.selector, id, libA));
        ill.act(id, InterlibraryLoan.Action.ShippedReturn, address(0));
        vm.prank(libC);
        ill.act(id, InterlibraryLoan.Action.Received, address(0));
        vm.prank(libC);
        ill.act(id, InterlibraryLoan.Action.ShippedForward, libD);
        vm.prank(libD);
        ill.act(id, InterlibraryLoan.Action.Received, address(0));
        vm.prank(libD);
        ill.act(id, InterlibraryLoan.Action.ShippedReturn, address(0));
        vm.prank(libD); // the return is on its way: no more forwarding
        vm.expectRevert(
            abi.encodeWithSelector(
                InterlibraryLoan.IllActionNotAllowed.selector, id, InterlibraryLoan.Action.ShippedForward, LOANED
            )
        );
        ill.act(id, InterlibraryLoan.Action.ShippedForward, libC);
        _update(id, LC, 0, 0);
        InterlibraryLoan.RequestView memory v = ill.request(id);
        vm.assertEq(uint256(v.status), uint256(LC), "completed");
        vm.assertEq(v.requester, libA, "requester kept");
        vm.assertEq(v.borrower, libD, "returned by D");
    }

    function test_lossAfterForward_isChargedToTheCurrentBorrower() public {
        uint256 id = _driveTo(LOANED, LOAN);
        vm.prank(libA);
        ill.act(id, InterlibraryLoan.Action.ShippedForward, libC);
        vm.prank(libC);
        ill.act(id, InterlibraryLoan.Action.Lost, address(0));
        _update(id, CWR, 0, 80_00);
        uint256 p = clearing.currentPeriod();
        vm.assertEq(clearing.netPosition(p, libC), -80_00, "C pays the replacement");
        vm.assertEq(clearing.netPosition(p, libA), 0, "A owes nothing for it");
        vm.prank(libB);
        ill.recordFound(id, 80_00);
        vm.assertEq(clearing.netPosition(p, libC), 0, "refund back to C");
    }

    function test_repeatedActionsAreIgnored() public {
        uint256 id = _driveTo(LOANED, LOAN);
        vm.startPrank(libA);
        ill.act(id, InterlibraryLoan.Action.Received, address(0));
        vm.expectEmit(true, true, false, true, address(ill));
        emit ActionIgnored(id, InterlibraryLoan.Action.Received, libA, LOANED);
        ill.act(id, InterlibraryLoan.Action.Received, address(0));
        ill.act(id, InterlibraryLoan.Action.ShippedReturn, address(0));
        vm.expectEmit(true, true, false, true, address(ill));
        emit ActionIgnored(id, InterlibraryLoan.Action.Renew, libA, LOANED);
        ill.act(id, InterlibraryLoan.Action.Renew, address(0));
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllBadForwardTarget.selector, id, libC));
        ill.act(id, InterlibraryLoan.Action.Lost, libC); // forwardTo only with ShippedForward
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ retry

    function test_retry_linksToARetryPossibleRequest() public {
        uint256 first = _driveTo(RR, LOAN);
        vm.prank(libB);
        ill.updateStatus(first, RP, 0, 2, 0, 0); // ISO ReasonRetry CostExceedsMaxCost
        InterlibraryLoan.NewRequest memory r = _newRequest(libB, LOAN, 80_00, "retry-1");
        r.retryOf = first;
        vm.prank(libA);
        uint256 second = ill.submitRequest(r);
        vm.assertEq(ill.request(second).retryOf, first, "linked");

        uint256 open = _driveTo(ETS, LOAN);
        r.ownId = "retry-2";
        r.retryOf = open;
        vm.prank(libA);
        vm.expectRevert(abi.encodeWithSelector(InterlibraryLoan.IllNotRetryable.selector, open, ETS));
        ill.submitRequest(r);
        r.retryOf = first;
        vm.prank(libC);
        vm.expectRevert(_err(InterlibraryLoan.IllWrongParty.selector, first, libC));
        ill.submitRequest(r);
    }

    // ------------------------------------------------------------------ digital ILL (doubles)

    function _digitalRequest(uint256 licenceId, uint256 workId, bytes32 ownId) private returns (uint256 id) {
        InterlibraryLoan.NewRequest memory r = _newRequest(libB, LOAN, 10_00, ownId);
        r.itemKind = InterlibraryLoan.ItemKind.Work;
        r.item = bytes32(workId);
        r.licenceId = licenceId;
        vm.prank(libA);
        id = ill.submitRequest(r);
    }

    function test_digitalIll_usesOneCopy_paysPerLoanFee_releasesOnCompletion() public {
        licensing.setLicence(9, libB, true, 1, 77, 3_00, 21 days);
        uint256 id = _digitalRequest(9, 77, "d1");
        uint256 before = credit.balanceOf(libB);
        _update(id, LOANED, 0, 5_00);
        vm.assertEq(licensing.active(9), 1, "one copy taken");
        vm.assertEq(licensing.lastCaller(), address(ill), "by the ILL contract");
        vm.assertEq(ill.request(id).dueDate, block.timestamp + 21 days, "licence loan period");
        (address payer, uint256 workId,, uint16 feeBps, IRoyalties.PaymentRef kind, uint256 refId, uint256 gross) =
            royalties.last();
        vm.assertEq(payer, libB, "supplier pays the per-loan fee in its own call");
        vm.assertEq(workId, 77, "work");
        vm.assertEq(uint256(feeBps), 3000, "fee bps from terms");
        vm.assertEq(uint256(kind), uint256(IRoyalties.PaymentRef.IllRequest), "refKind");
        vm.assertEq(refId, id, "refId = request id");
        vm.assertEq(gross, 3_00, "per-loan price");
        vm.assertEq(credit.balanceOf(libB), before - 3_00, "paid");

        // the only copy is out: a second digital ILL of the same licence cannot be loaned
        uint256 second = _digitalRequest(9, 77, "d2");
        vm.prank(libB);
        vm.expectRevert(abi.encodeWithSelector(MockLicensing.MockNoFreeCopy.selector, 9));
        ill.updateStatus(second, LOANED, 0, 0, 0, 0);

        _update(id, LC, 0, 0);
        vm.assertEq(licensing.active(9), 0, "released");
        _update(second, LOANED, 0, 0);
        vm.assertEq(licensing.active(9), 1, "reused");
    }

    function test_digitalIll_refusedWhenTermsForbidIll_orWorkDiffers() public {
        licensing.setLicence(9, libB, false, 1, 77, 0, 21 days);
        uint256 id = _digitalRequest(9, 77, "d1");
        vm.prank(libB);
        vm.expectRevert(abi.encodeWithSelector(MockLicensing.MockIllNotAllowed.selector, 9));
        ill.updateStatus(id, LOANED, 0, 0, 0, 0);
        licensing.setLicence(10, libB, true, 1, 78, 0, 21 days);
        uint256 other = _digitalRequest(10, 77, "d2");
        vm.prank(libB);
        vm.expectRevert(
            abi.encodeWithSelector(InterlibraryLoan.IllItemMismatch.selector, other, bytes32(uint256(77)), 78)
        );
        ill.updateStatus(other, LOANED, 0, 0, 0, 0);
    }

    // ------------------------------------------------------------------ pause, multicall

    function test_pause_stopsEveryWrite() public {
        uint256 id = _driveTo(RR, LOAN);
        vm.prank(governor);
        ill.pause();
        vm.prank(libB);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        ill.updateStatus(id, ETS, 0, 0, 0, 0);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        _requestLoan("paused");
        vm.prank(governor);
        ill.unpause();
        _update(id, ETS, 0, 0);
    }

    function test_multicall_requestAndActInOneBatch() public {
        uint256 id = ill.computeRequestId(libA, "batch");
        bytes[] memory calls = new bytes[](2);
        calls[0] = abi.encodeCall(ill.submitRequest, (_newRequest(libB, LOAN, 1, "batch")));
        calls[1] = abi.encodeCall(ill.act, (id, InterlibraryLoan.Action.Cancel, address(0)));
        vm.prank(libA);
        ill.multicall(calls);
        vm.assertTrue(ill.request(id).cancelPending, "both applied");
    }
}

