// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {LedgerFixture} from "./utils/LedgerFixture.sol";
import {Consortium} from "../src/Consortium.sol";
import {Credit} from "../src/Credit.sol";
import {Works} from "../src/Works.sol";
import {Royalties} from "../src/Royalties.sol";
import {Licensing} from "../src/Licensing.sol";
import {ConsortiumGuarded} from "../src/access/ConsortiumGuarded.sol";
import {Roles} from "../src/access/Roles.sol";
import {IRoyalties} from "../src/interfaces/IRoyalties.sol";

contract RoyaltiesTest is LedgerFixture {
    /// stands in for a libledger contract calling `pay` directly
    address internal hook;
    uint256 internal workId;

    event RoyaltyPaid(
        uint256 indexed workId,
        uint256 indexed termsId,
        IRoyalties.PaymentRef refKind,
        uint256 indexed refId,
        address payer,
        uint256 gross,
        uint256 fee,
        address feeRecipient,
        address[] payees,
        uint256[] nets
    );

    function setUp() public override {
        _deployLedger();
        hook = makeAddr("ledgerHook");
        vm.prank(governor);
        consortium.grantRole(Roles.LEDGER, hook);
        workId = _registerWork(1); // publisher1 70% / publisher2 30% of the holder side
    }

    function _pay(uint256 gross) internal returns (uint256) {
        vm.prank(hook);
        return royalties.pay(library1, workId, 7, 3_000, IRoyalties.PaymentRef.Licence, 42, gross);
    }

    // ------------------------------------------------------------------ pay

    function test_pay_splitsSeventyThirty() public {
        address[] memory p = new address[](2);
        p[0] = publisher1;
        p[1] = publisher2;
        uint256[] memory nets = new uint256[](2);
        nets[0] = 4_900;
        nets[1] = 2_100;
        vm.expectEmit(true, true, true, true, address(royalties));
        emit RoyaltyPaid(workId, 7, IRoyalties.PaymentRef.Licence, 42, library1, 10_000, 3_000, platform, p, nets);
        uint256 fee = _pay(10_000);
        assertEq(fee, 3_000);
        assertEq(royalties.balanceOf(platform), 3_000);
        assertEq(royalties.balanceOf(publisher1), 4_900);
        assertEq(royalties.balanceOf(publisher2), 2_100);
        assertEq(credit.balanceOf(address(royalties)), 10_000);
        assertEq(credit.balanceOf(library1), START_CREDIT - 10_000);
    }

    function test_pay_remainderToFirstPayee() public {
        // 101 fen: fee 30; holder side 71 -> 70% = 49.7 -> 49, 30% = 21.3 -> 21, remainder 1 to the first
        _pay(101);
        assertEq(royalties.balanceOf(platform), 30);
        assertEq(royalties.balanceOf(publisher1), 50);
        assertEq(royalties.balanceOf(publisher2), 21);
    }

    function test_pay_revertsPaymentTooLow() public {
        vm.prank(hook);
        vm.expectRevert(abi.encodeWithSelector(Royalties.PaymentTooLow.selector, 3));
        royalties.pay(library1, workId, 7, 3_000, IRoyalties.PaymentRef.Licence, 42, 3);
        // 4 fen at 30% is 1.2 -> 1: accepted
        _pay(4);
        assertEq(royalties.balanceOf(platform), 1);
    }

    function test_pay_revertsFeeBpsTooHigh() public {
        vm.prank(hook);
        vm.expectRevert(abi.encodeWithSelector(Royalties.RoyaltiesFeeBpsTooHigh.selector, 10_001));
        royalties.pay(library1, workId, 7, 10_001, IRoyalties.PaymentRef.Licence, 42, 100);
    }

    function test_pay_revertsUnauthorized() public {
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, library1, Roles.LEDGER));
        royalties.pay(library1, workId, 7, 3_000, IRoyalties.PaymentRef.Licence, 42, 100);
    }

    function test_pay_revertsWhenPaused() public {
        vm.prank(governor);
        royalties.pause();
        vm.prank(hook);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        royalties.pay(library1, workId, 7, 3_000, IRoyalties.PaymentRef.Licence, 42, 100);
    }

    function test_pay_revertsUnknownWork() public {
        vm.prank(hook);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksUnknownWork.selector, 99));
        royalties.pay(library1, 99, 7, 3_000, IRoyalties.PaymentRef.Licence, 42, 100);
    }

    function test_pay_revertsWhenPayerLacksCredit() public {
        vm.prank(hook);
        vm.expectRevert();
        royalties.pay(publisher1, workId, 7, 3_000, IRoyalties.PaymentRef.Licence, 42, 100);
    }

    function test_pay_revertsNoPlatformTreasury() public {
        Consortium c2 = new Consortium(governor, 0);
        Works w2 = new Works(c2);
        Royalties r2 = new Royalties(c2, credit, w2);
        bytes32[] memory roles = new bytes32[](1);
        roles[0] = Roles.PUBLISHER;
        vm.startPrank(governor);
        c2.admit(publisher1, "PUB-1", "p", roles);
        c2.grantRole(Roles.LEDGER, hook);
        vm.stopPrank();
        (address[] memory p, uint16[] memory b) = _one(publisher1);
        vm.prank(publisher1);
        uint256 id = w2.registerWork(_hash(5), _iscc(5), "ipfs://m", p, b);
        vm.prank(hook);
        vm.expectRevert(Royalties.RoyaltiesNoPlatformTreasury.selector);
        r2.pay(library1, id, 1, 3_000, IRoyalties.PaymentRef.Licence, 1, 100);
    }

    // ------------------------------------------------------------------ escrow

    function test_pay_escrowsWhileDisputed() public {
        vm.prank(library2);
        works.openDispute(workId, "ipfs://evidence");
        _pay(10_000);
        assertEq(royalties.balanceOf(platform), 3_000);
        assertEq(royalties.escrowOf(workId), 7_000);
        assertEq(royalties.balanceOf(publisher1), 0);
        vm.expectRevert(abi.encodeWithSelector(Royalties.RoyaltiesEscrowLocked.selector, workId));
        royalties.releaseEscrow(workId);
    }

    function test_releaseEscrow_upheld() public {
        uint256 d = _disputeAndPay(10_001);
        _resolve(d, Works.Ruling.Uphold, address(0));
        vm.prank(outsider); // anyone may release
        uint256 amount = royalties.releaseEscrow(workId);
        // fee floor(10001 * 0.3) = 3000; holder side 7001 -> 4900.7 / 2100.3 -> 4900 + 1 remainder, 2100
        assertEq(amount, 7_001);
        assertEq(royalties.escrowOf(workId), 0);
        assertEq(royalties.balanceOf(publisher1), 4_901);
        assertEq(royalties.balanceOf(publisher2), 2_100);
    }

    function test_releaseEscrow_transferred() public {
        uint256 d = _disputeAndPay(10_000);
        _resolve(d, Works.Ruling.Transfer, publisher2);
        royalties.releaseEscrow(workId);
        assertEq(royalties.balanceOf(publisher2), 7_000);
        assertEq(royalties.balanceOf(publisher1), 0);
    }

    function test_releaseEscrow_revoked() public {
        uint256 d = _disputeAndPay(10_000);
        _resolve(d, Works.Ruling.Revoke, library2);
        royalties.releaseEscrow(workId);
        assertEq(royalties.balanceOf(library2), 7_000);
        // a revoked work takes no more payments
        vm.prank(hook);
        vm.expectRevert(abi.encodeWithSelector(Royalties.RoyaltiesWorkRevoked.selector, workId));
        royalties.pay(library1, workId, 7, 3_000, IRoyalties.PaymentRef.Licence, 42, 100);
    }

    function test_releaseEscrow_revertsNoEscrow() public {
        vm.expectRevert(abi.encodeWithSelector(Royalties.RoyaltiesNoEscrow.selector, workId));
        royalties.releaseEscrow(workId);
    }

    // ------------------------------------------------------------------ withdraw

    function test_withdraw() public {
        _pay(10_000);
        vm.prank(publisher1);
        uint256 amount = royalties.withdraw();
        assertEq(amount, 4_900);
        assertEq(credit.balanceOf(publisher1), 4_900);
        assertEq(royalties.balanceOf(publisher1), 0);
        assertEq(credit.balanceOf(address(royalties)), 5_100);
    }

    function test_withdraw_revertsNothingToWithdraw() public {
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(Royalties.RoyaltiesNothingToWithdraw.selector, publisher1));
        royalties.withdraw();
    }

    function test_withdraw_revertsForSuspendedMemberAndKeepsBalance() public {
        _pay(10_000);
        vm.prank(governor);
        consortium.suspend(publisher1, "audit");
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(Credit.CreditAccountNotAllowed.selector, publisher1));
        royalties.withdraw();
        assertEq(royalties.balanceOf(publisher1), 4_900);
    }

    /// A withdrawal stops while Royalties, Credit or the Consortium is paused; the balance stays.
    function test_withdraw_revertsWhileAnyPauseAndKeepsBalance() public {
        _pay(10_000);
        ConsortiumGuarded[2] memory guarded = [ConsortiumGuarded(royalties), ConsortiumGuarded(credit)];
        for (uint256 i = 0; i < guarded.length; ++i) {
            vm.prank(governor);
            guarded[i].pause();
            vm.prank(publisher1);
            vm.expectRevert(Pausable.EnforcedPause.selector);
            royalties.withdraw();
            vm.prank(governor);
            guarded[i].unpause();
        }
        vm.prank(governor);
        consortium.pause();
        vm.prank(publisher1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        royalties.withdraw();
        assertEq(royalties.balanceOf(publisher1), 4_900);
        assertEq(credit.balanceOf(address(royalties)), 10_000);
    }

    /// Withdrawals pay out through `Credit.payOut`, which only the Royalties contract named by
    /// the governor may call: a Royalties that Credit does not know cannot pay out.
    function test_withdraw_needsCreditToNameThisRoyalties() public {
        Royalties r2 = new Royalties(consortium, credit, works);
        vm.prank(governor);
        consortium.grantRole(Roles.LEDGER, address(r2));
        vm.prank(hook);
        r2.pay(library1, workId, 7, 3_000, IRoyalties.PaymentRef.Licence, 1, 10_000);
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(Credit.CreditNotRoyalties.selector, address(r2)));
        r2.withdraw();
        assertEq(r2.balanceOf(publisher1), 4_900, "kept");
    }

    // ------------------------------------------------------------------ platform fee accrual

    /// The fee accrues in slot 0 for the current treasury; when the treasury changes, what
    /// accrued stays the old treasury's and the new one accrues from then on.
    function test_fee_followsTreasuryChange() public {
        _pay(10_000);
        _pay(1_000);
        assertEq(royalties.balanceOf(platform), 3_300);
        address platform2 = makeAddr("platform2");
        bytes32[] memory roles = new bytes32[](1);
        roles[0] = Roles.PLATFORM;
        vm.startPrank(governor);
        consortium.admit(platform2, "PLATFORM-2", "second treasury", roles);
        consortium.setPlatformTreasury(platform2);
        vm.stopPrank();
        _pay(10_000);
        assertEq(royalties.balanceOf(platform), 3_300, "old treasury keeps what accrued");
        assertEq(royalties.balanceOf(platform2), 3_000);
        vm.prank(platform);
        assertEq(royalties.withdraw(), 3_300);
        vm.prank(platform2);
        assertEq(royalties.withdraw(), 3_000);
        assertEq(royalties.balanceOf(platform2), 0);
        _pay(100);
        assertEq(royalties.balanceOf(platform2), 30, "accrues again after a withdrawal");
        uint256 owed = royalties.balanceOf(platform2) + royalties.balanceOf(publisher1) + royalties.balanceOf(publisher2);
        assertEq(owed, 30 + (4_900 + 490 + 4_900 + 49) + (2_100 + 210 + 2_100 + 21));
        assertEq(credit.balanceOf(address(royalties)), 21_100 - 6_300, "paid in - withdrawn");
        assertEq(credit.balanceOf(address(royalties)), owed, "held = owed");
    }

    // ------------------------------------------------------------------ deposits

    event Deposited(address indexed account, uint256 amount, uint256 balance);
    event DepositWithdrawn(address indexed account, uint256 amount, uint256 balance);

    function test_deposit_andWithdrawDeposit() public {
        vm.expectEmit(true, true, true, true, address(royalties));
        emit Deposited(library1, 1_000, 1_000);
        _deposit(library1, 1_000);
        _deposit(library1, 500);
        assertEq(royalties.depositOf(library1), 1_500);
        assertEq(credit.balanceOf(library1), START_CREDIT - 1_500);
        assertEq(credit.balanceOf(address(royalties)), 1_500);
        vm.expectEmit(true, true, true, true, address(royalties));
        emit DepositWithdrawn(library1, 400, 1_100);
        vm.prank(library1);
        assertEq(royalties.withdrawDeposit(400), 1_100);
        assertEq(credit.balanceOf(library1), START_CREDIT - 1_100);
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(Royalties.DepositTooLow.selector, library1, 1_100, 1_101));
        royalties.withdrawDeposit(1_101);
        assertEq(royalties.depositOf(library1), 1_100, "nothing taken");
    }

    function test_deposit_reverts() public {
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, publisher1, Roles.LIBRARY));
        royalties.deposit(1);
        vm.prank(library1);
        vm.expectRevert(Royalties.RoyaltiesZeroAmount.selector);
        royalties.deposit(0);
        vm.prank(library1);
        vm.expectRevert(Royalties.RoyaltiesZeroAmount.selector);
        royalties.withdrawDeposit(0);
        vm.prank(library1);
        vm.expectRevert(); // ERC20InsufficientBalance from Credit
        royalties.deposit(START_CREDIT + 1);
        vm.prank(governor);
        royalties.pause();
        vm.prank(library1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        royalties.deposit(1);
    }

    function test_payFromDeposit_debitsDepositNotCredit() public {
        _deposit(library1, 1_000);
        vm.prank(hook);
        uint256 fee = royalties.payFromDeposit(library1, workId, 7, 3_000, IRoyalties.PaymentRef.DigitalLoan, 3, 1_000);
        assertEq(fee, 300);
        assertEq(royalties.depositOf(library1), 0);
        assertEq(credit.balanceOf(library1), START_CREDIT - 1_000, "credit moved once, at deposit");
        assertEq(royalties.balanceOf(publisher1), 490);
        assertEq(royalties.balanceOf(publisher2), 210);
        assertEq(royalties.balanceOf(platform), 300);
        vm.prank(hook);
        vm.expectRevert(abi.encodeWithSelector(Royalties.DepositTooLow.selector, library1, 0, 1_000));
        royalties.payFromDeposit(library1, workId, 7, 3_000, IRoyalties.PaymentRef.DigitalLoan, 4, 1_000);
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, library1, Roles.LEDGER));
        royalties.payFromDeposit(library1, workId, 7, 3_000, IRoyalties.PaymentRef.DigitalLoan, 4, 1);
    }

    /// Same split and same held-equals-owed, whichever way the gross arrives.
    function testFuzz_payFromDeposit_sameSplitAsPay(uint256 gross, uint16 feeBps) public {
        feeBps = uint16(bound(feeBps, 1, 10_000));
        gross = bound(gross, 10_000, START_CREDIT / 4);
        _deposit(library2, gross);
        vm.prank(hook);
        uint256 feeA = royalties.pay(library1, workId, 7, feeBps, IRoyalties.PaymentRef.Licence, 1, gross);
        uint256 p1 = royalties.balanceOf(publisher1);
        uint256 p2 = royalties.balanceOf(publisher2);
        vm.prank(hook);
        uint256 feeB = royalties.payFromDeposit(library2, workId, 7, feeBps, IRoyalties.PaymentRef.DigitalLoan, 2, gross);
        assertEq(feeA, feeB);
        assertEq(royalties.balanceOf(publisher1), 2 * p1);
        assertEq(royalties.balanceOf(publisher2), 2 * p2);
        assertEq(royalties.balanceOf(platform), 2 * feeA);
        assertEq(credit.balanceOf(address(royalties)), 2 * gross);
        assertEq(royalties.depositOf(library2), 0);
    }

    // ------------------------------------------------------------------ split

    function test_split_pure() public view {
        uint16[] memory bps = new uint16[](3);
        bps[0] = 3_333;
        bps[1] = 3_333;
        bps[2] = 3_334;
        (uint256 fee, uint256[] memory nets) = royalties.split(101, 3_000, bps);
        assertEq(fee, 30);
        assertEq(nets[0], 25);
        assertEq(nets[1], 23);
        assertEq(nets[2], 23);
    }

    function test_split_revertsPaymentTooLow() public {
        uint16[] memory bps = new uint16[](1);
        bps[0] = 10_000;
        vm.expectRevert(abi.encodeWithSelector(Royalties.PaymentTooLow.selector, 0));
        royalties.split(0, 3_000, bps);
    }

    function test_split_revertsInvalidShares() public {
        uint16[] memory bps = new uint16[](2);
        bps[0] = 5_000;
        bps[1] = 5_001;
        vm.expectRevert(abi.encodeWithSelector(Royalties.RoyaltiesInvalidShares.selector, 2, 10_001));
        royalties.split(100, 3_000, bps);
        vm.expectRevert(abi.encodeWithSelector(Royalties.RoyaltiesInvalidShares.selector, 0, 0));
        royalties.split(100, 3_000, new uint16[](0));
        vm.expectRevert(abi.encodeWithSelector(Royalties.RoyaltiesFeeBpsTooHigh.selector, 10_001));
        royalties.split(100, 10_001, bps);
    }

    function test_previewPayment() public view {
        (uint256 fee, address[] memory p, uint256[] memory nets) = royalties.previewPayment(workId, 3_000, 10_000);
        assertEq(fee, 3_000);
        assertEq(p[0], publisher1);
        assertEq(nets[0], 4_900);
        assertEq(nets[1], 2_100);
    }

    function testFuzz_split_conservesFloorsAndGivesRemainderToFirst(uint256 gross, uint16 feeBps, uint256 seed, uint8 n)
        public
        view
    {
        gross = bound(gross, 0, 1e30);
        feeBps = uint16(bound(feeBps, 1, 10_000));
        n = uint8(bound(n, 1, 16));
        uint16[] memory bps = _randomBps(seed, n);
        uint256 expectedFee = gross * feeBps / 10_000;
        if (expectedFee == 0) {
            // PaymentTooLow, checked in the other fuzz test through pay
            return;
        }
        (uint256 fee, uint256[] memory nets) = royalties.split(gross, feeBps, bps);
        assertEq(fee, expectedFee, "fee = floor(gross * bps / 10000)");
        uint256 holders = gross - fee;
        uint256 sum = fee;
        for (uint256 i = 0; i < n; ++i) {
            sum += nets[i];
            if (i > 0) assertEq(nets[i], holders * bps[i] / 10_000, "others floor");
        }
        assertEq(sum, gross, "conservation");
        assertLe(nets[0] - holders * bps[0] / 10_000, n - 1, "remainder < payee count");
    }

    function testFuzz_pay_movesExactlyGross(uint256 gross, uint16 feeBps, uint16 firstBps) public {
        gross = bound(gross, 0, START_CREDIT);
        feeBps = uint16(bound(feeBps, 1, 10_000));
        firstBps = uint16(bound(firstBps, 1, 9_999));
        (address[] memory p, uint16[] memory b) = _two(publisher1, firstBps, publisher2);
        vm.prank(publisher1);
        works.setPayees(workId, p, b);
        uint256 fee = gross * feeBps / 10_000;
        vm.prank(hook);
        if (fee == 0) vm.expectRevert(abi.encodeWithSelector(Royalties.PaymentTooLow.selector, gross));
        royalties.pay(library1, workId, 1, feeBps, IRoyalties.PaymentRef.DigitalLoan, 1, gross);
        if (fee == 0) return;
        assertEq(royalties.balanceOf(platform), fee);
        assertEq(
            royalties.balanceOf(platform) + royalties.balanceOf(publisher1) + royalties.balanceOf(publisher2), gross
        );
        assertEq(credit.balanceOf(address(royalties)), gross);
        assertEq(credit.balanceOf(library1), START_CREDIT - gross);
    }

    // ------------------------------------------------------------------ helpers

    function _randomBps(uint256 seed, uint256 n) internal pure returns (uint16[] memory bps) {
        bps = new uint16[](n);
        uint256 left = 10_000;
        for (uint256 i = 0; i < n; ++i) {
            uint256 remainingSlots = n - i - 1;
            uint256 share;
            if (remainingSlots == 0) {
                share = left;
            } else {
                uint256 maxShare = left - remainingSlots; // leave at least 1 bps for each other payee
                share = 1 + uint256(keccak256(abi.encode(seed, i))) % maxShare;
            }
            bps[i] = uint16(share);
            left -= share;
        }
    }

    function _disputeAndPay(uint256 gross) internal returns (uint256 d) {
        vm.prank(library2);
        d = works.openDispute(workId, "ipfs://evidence");
        _pay(gross);
        vm.prank(publisher1);
        works.answerDispute(d, "ipfs://answer");
    }

    function _resolve(uint256 d, Works.Ruling ruling, address beneficiary) internal {
        (address[] memory p, uint16[] memory b) = _one(beneficiary == address(0) ? publisher1 : beneficiary);
        vm.prank(governor);
        works.resolveDispute(d, ruling, beneficiary, p, b, "ipfs://ruling");
    }
}
