// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Clearing} from "../src/Clearing.sol";
import {ConsortiumGuarded} from "../src/access/ConsortiumGuarded.sol";
import {Roles} from "../src/access/Roles.sol";
import {IllFixture} from "./ill/IllFixture.sol";

/// Clearing: who may post and close, nets per period, settle / pro-rata withdraw, defaults.
contract ClearingTest is IllFixture {
    address internal ledger = address(0x1ED6E4);

    event SettlementDefaulted(
        uint256 indexed periodId, address indexed library_, uint256 outstanding, uint256 deadline, address actor
    );
    event SettlementPaid(uint256 indexed periodId, address indexed library_, uint256 amount, bool late);

    function setUp() public {
        _deployFixture();
        vm.prank(governor);
        consortium.grantRole(Roles.LEDGER, ledger);
    }

    function _post(address debtor, address creditor, uint256 amount) internal {
        vm.prank(ledger);
        clearing.post(Clearing.ChargeKind.Lending, 1, debtor, creditor, amount, amount);
    }

    function _close() internal returns (uint256 id) {
        vm.prank(platform);
        id = clearing.closePeriod();
    }

    function test_onlyLedgerPosts_onlyPlatformCloses() public {
        vm.prank(libA);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, libA, Roles.LEDGER));
        clearing.post(Clearing.ChargeKind.Lending, 1, libA, libB, 1, 1);
        vm.prank(libA);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, libA, Roles.PLATFORM));
        clearing.closePeriod();
        vm.prank(libA);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, libA, bytes32(0)));
        clearing.setSettlementWindow(2 days);
    }

    function test_post_badInputsRevertWithValues() public {
        vm.startPrank(ledger);
        vm.expectRevert(abi.encodeWithSelector(Clearing.ClearingZeroAmount.selector, 7));
        clearing.post(Clearing.ChargeKind.Lending, 7, libA, libB, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(Clearing.ClearingChargeAboveCap.selector, 7, 11, 10));
        clearing.post(Clearing.ChargeKind.Lending, 7, libA, libB, 11, 10);
        vm.expectRevert(abi.encodeWithSelector(Clearing.ClearingSameParty.selector, 7, libA));
        clearing.post(Clearing.ChargeKind.Lending, 7, libA, libA, 1, 1);
        vm.stopPrank();
    }

    function test_netsMoveAndSumToZero_ownedTracksDebts() public {
        _post(libA, libB, 30_00);
        _post(libB, libC, 10_00);
        _post(libC, libA, 5_00);
        vm.assertEq(clearing.netPosition(1, libA), -25_00, "A");
        vm.assertEq(clearing.netPosition(1, libB), 20_00, "B");
        vm.assertEq(clearing.netPosition(1, libC), 5_00, "C");
        vm.assertEq(uint256(clearing.period(1).owed), 25_00, "owed = sum of debts");
    }

    function test_fullCycle_settleThenWithdraw() public {
        _post(libA, libB, 30_00);
        _post(libC, libB, 10_00);
        _post(libB, libD, 5_00);
        uint256 p = _close();
        vm.assertEq(clearing.currentPeriod(), 2, "next period open");
        _post(libA, libB, 1_00); // lands in period 2
        vm.assertEq(clearing.netPosition(2, libA), -1_00, "new period");

        vm.prank(libB); // creditor cannot withdraw before anybody paid
        vm.expectRevert(abi.encodeWithSelector(Clearing.ClearingNothingToWithdraw.selector, p, libB, int256(35_00), 0));
        clearing.withdraw(p);

        uint256 aBefore = credit.balanceOf(libA);
        vm.prank(libA);
        clearing.settle(p);
        vm.assertEq(credit.balanceOf(libA), aBefore - 30_00, "A paid its net only");
        vm.prank(libA);
        vm.expectRevert(abi.encodeWithSelector(Clearing.ClearingAlreadySettled.selector, p, libA, 30_00));
        clearing.settle(p);

        // pro rata: 30.00 of 40.00 owed is in, B's share 35.00 * 30/40 = 26.25, D's 5.00 * 30/40 = 3.75
        vm.assertEq(clearing.withdrawable(p, libB), 26_25, "B pro rata");
        vm.prank(libB);
        clearing.withdraw(p);
        vm.prank(libC);
        clearing.settle(p);
        vm.prank(libB);
        clearing.withdraw(p);
        vm.prank(libD);
        clearing.withdraw(p);
        Clearing.Period memory per = clearing.period(p);
        vm.assertEq(uint256(per.paidIn), 40_00, "all paid");
        vm.assertEq(uint256(per.withdrawn), 40_00, "all withdrawn");
        vm.assertEq(credit.balanceOf(address(clearing)), 0, "nothing left");
        vm.assertEq(clearing.heldCredit(), 0, "held");
        vm.assertEq(credit.balanceOf(libB), FUNDS + 35_00, "B got its net");
        vm.assertEq(credit.balanceOf(libD), FUNDS + 5_00, "D got its net");
    }

    function test_settleBeforeClose_orWithoutDebt_reverts() public {
        _post(libA, libB, 1_00);
        vm.prank(libA);
        vm.expectRevert(abi.encodeWithSelector(Clearing.ClearingPeriodNotClosed.selector, 1));
        clearing.settle(1);
        uint256 p = _close();
        vm.prank(libB);
        vm.expectRevert(abi.encodeWithSelector(Clearing.ClearingNothingOwed.selector, p, libB, int256(1_00)));
        clearing.settle(p);
    }

    function test_default_flaggedByAnyoneAfterDeadline_latePaymentRecorded() public {
        _post(libA, libB, 30_00);
        uint256 p = _close();
        uint256 deadline = clearing.period(p).deadline;
        vm.assertEq(deadline, block.timestamp + 14 days, "default window");
        vm.expectRevert(
            abi.encodeWithSelector(Clearing.ClearingDeadlineNotPassed.selector, p, deadline, block.timestamp)
        );
        clearing.flagDefault(p, libA);
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(Clearing.ClearingNotInDefault.selector, p, libB, int256(30_00), 0));
        clearing.flagDefault(p, libB);
        vm.expectEmit(true, true, false, true, address(clearing));
        emit SettlementDefaulted(p, libA, 30_00, deadline, outsider);
        vm.prank(outsider);
        clearing.flagDefault(p, libA);
        vm.assertTrue(clearing.position(p, libA).defaulted, "flagged");
        vm.expectRevert(abi.encodeWithSelector(Clearing.ClearingAlreadyFlagged.selector, p, libA));
        clearing.flagDefault(p, libA);
        vm.expectEmit(true, true, false, true, address(clearing));
        emit SettlementPaid(p, libA, 30_00, true);
        vm.prank(libA);
        clearing.settle(p);
        vm.assertTrue(clearing.position(p, libA).defaulted, "the flag stays on record");
        vm.assertEq(clearing.amountDue(p, libA), 0, "paid late");
    }

    function test_settlementWindow_governorWithinBounds() public {
        vm.prank(governor);
        clearing.setSettlementWindow(3 days);
        vm.assertEq(clearing.settlementWindow(), 3 days, "set");
        vm.prank(governor);
        vm.expectRevert(abi.encodeWithSelector(Clearing.ClearingWindowOutOfRange.selector, 91 days, 1 days, 90 days));
        clearing.setSettlementWindow(91 days);
    }

    function testFuzz_chargesKeepNetsSummingToZero(uint256 seed) public {
        address[4] memory libs = [libA, libB, libC, libD];
        for (uint256 i = 0; i < 12; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            address d = libs[r % 4];
            address c = libs[(r >> 8) % 4];
            if (d == c) continue;
            _post(d, c, _bound(r >> 16, 1, 1_000_000_00));
        }
        int256 sum;
        uint256 debts;
        for (uint256 i = 0; i < 4; ++i) {
            int256 n = clearing.netPosition(1, libs[i]);
            sum += n;
            if (n < 0) debts += uint256(-n);
        }
        vm.assertEq(sum, 0, "sum zero");
        vm.assertEq(uint256(clearing.period(1).owed), debts, "owed = sum of debts");
    }
}
