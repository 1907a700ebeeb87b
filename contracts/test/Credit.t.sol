// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Credit} from "../src/Credit.sol";
import {ConsortiumGuarded} from "../src/access/ConsortiumGuarded.sol";
import {Roles} from "../src/access/Roles.sol";
import {ConsortiumBase} from "./utils/ConsortiumBase.sol";

contract CreditTest is ConsortiumBase {
    /// what may still be minted after setUp's 100,000 fen
    uint256 internal constant MAX_SUPPLY = type(uint88).max - 100_000;

    function setUp() public override {
        super.setUp();
        _mint(libraryA, 100_000); // 1,000.00 CNY
    }

    // ------------------------------------------------------------------ helpers

    function _notAllowed(address account) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(Credit.CreditAccountNotAllowed.selector, account);
    }

    function _unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, account, role);
    }

    function _pauseCredit() internal {
        vm.prank(governor);
        credit.pause();
    }

    /// @dev Credit unpaused, the whole Consortium paused: every move must stop again.
    function _pauseConsortiumInstead() internal {
        vm.prank(governor);
        credit.unpause();
        vm.prank(governor);
        consortium.pause();
    }

    // ------------------------------------------------------------------ metadata

    function test_metadata() public view {
        vm.assertEq(uint256(credit.decimals()), 2, "fen");
        vm.assertEq(credit.name(), "libledger credit", "name");
        vm.assertEq(credit.symbol(), "LLC", "symbol");
        vm.assertEq(address(credit.consortium()), address(consortium), "consortium");
    }

    // ------------------------------------------------------------------ mint / burn

    function test_mint_byTreasury() public {
        vm.expectEmit(address(credit));
        emit IERC20.Transfer(address(0), libraryB, 2_550);
        _mint(libraryB, 2_550);
        vm.assertEq(credit.balanceOf(libraryB), 2_550, "balance");
        vm.assertEq(credit.totalSupply(), 102_550, "supply");
    }

    function test_mint_toLedgerContract() public {
        _mint(ledger, 10);
        vm.assertEq(credit.balanceOf(ledger), 10, "ledger contract may hold credit");
    }

    function test_mint_revertsForNonTreasury() public {
        address[5] memory callers = [governor, libraryA, publisher, ledger, stranger];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.expectRevert(_unauthorized(callers[i], Roles.TREASURY));
            vm.prank(callers[i]);
            credit.mint(libraryA, 1);
        }
    }

    function test_mint_revertsForSuspendedTreasury() public {
        _suspend(treasury);
        vm.expectRevert(_unauthorized(treasury, Roles.TREASURY));
        vm.prank(treasury);
        credit.mint(libraryA, 1);
    }

    function test_mint_revertsWhileConsortiumPaused() public {
        vm.prank(governor);
        consortium.pause();
        vm.expectRevert(_unauthorized(treasury, Roles.TREASURY));
        vm.prank(treasury);
        credit.mint(libraryA, 1);
    }

    function test_mint_revertsToNonMember() public {
        vm.expectRevert(_notAllowed(stranger));
        vm.prank(treasury);
        credit.mint(stranger, 1);
    }

    function test_mint_revertsToSuspendedMember() public {
        _suspend(libraryB);
        vm.expectRevert(_notAllowed(libraryB));
        vm.prank(treasury);
        credit.mint(libraryB, 1);
    }

    function test_burn_byTreasury() public {
        _mint(treasury, 500);
        vm.expectEmit(address(credit));
        emit IERC20.Transfer(treasury, address(0), 200);
        vm.prank(treasury);
        credit.burn(200);
        vm.assertEq(credit.balanceOf(treasury), 300, "balance");
        vm.assertEq(credit.totalSupply(), 100_300, "supply");
    }

    function test_burn_cashOutFlow() public {
        vm.prank(libraryA);
        credit.transfer(treasury, 40_000);
        vm.prank(treasury);
        credit.burn(40_000);
        vm.assertEq(credit.balanceOf(libraryA), 60_000, "member keeps the rest");
        vm.assertEq(credit.totalSupply(), 60_000, "supply");
    }

    function test_burn_revertsForNonTreasury() public {
        vm.expectRevert(_unauthorized(libraryA, Roles.TREASURY));
        vm.prank(libraryA);
        credit.burn(1);
    }

    function test_burn_revertsForSuspendedTreasury() public {
        _mint(treasury, 500);
        _suspend(treasury);
        vm.expectRevert(_unauthorized(treasury, Roles.TREASURY));
        vm.prank(treasury);
        credit.burn(1);
    }

    function test_burn_revertsAboveBalance() public {
        _mint(treasury, 5);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, treasury, 5, 6));
        vm.prank(treasury);
        credit.burn(6);
    }

    // ------------------------------------------------------------------ transfer

    function test_transfer_betweenActiveMembers() public {
        vm.expectEmit(address(credit));
        emit IERC20.Transfer(libraryA, libraryB, 1_234);
        vm.prank(libraryA);
        vm.assertTrue(credit.transfer(libraryB, 1_234), "returns true");
        vm.assertEq(credit.balanceOf(libraryA), 98_766, "sender");
        vm.assertEq(credit.balanceOf(libraryB), 1_234, "receiver");
    }

    function test_transfer_toAndFromLedgerContract() public {
        vm.prank(libraryA);
        credit.transfer(ledger, 700);
        vm.prank(ledger);
        credit.transfer(publisher, 490);
        vm.assertEq(credit.balanceOf(ledger), 210, "ledger keeps the fee");
        vm.assertEq(credit.balanceOf(publisher), 490, "publisher paid");
    }

    function test_transfer_revertsToNonMember() public {
        vm.expectRevert(_notAllowed(stranger));
        vm.prank(libraryA);
        credit.transfer(stranger, 1);
    }

    function test_transfer_revertsFromNonMember() public {
        vm.expectRevert(_notAllowed(stranger));
        vm.prank(stranger);
        credit.transfer(libraryA, 0);
    }

    function test_transfer_suspendedCannotSend() public {
        _suspend(libraryA);
        vm.expectRevert(_notAllowed(libraryA));
        vm.prank(libraryA);
        credit.transfer(libraryB, 1);
        vm.assertEq(credit.balanceOf(libraryA), 100_000, "balance frozen, not lost");
    }

    function test_transfer_suspendedCannotReceive() public {
        _suspend(libraryB);
        vm.expectRevert(_notAllowed(libraryB));
        vm.prank(libraryA);
        credit.transfer(libraryB, 1);
    }

    function test_transfer_reinstatedMemberMovesAgain() public {
        _suspend(libraryA);
        _reinstate(libraryA);
        vm.prank(libraryA);
        credit.transfer(libraryB, 1);
        vm.assertEq(credit.balanceOf(libraryB), 1, "moved after reinstatement");
    }

    function test_transfer_revertsAboveBalance() public {
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, libraryA, 100_000, 100_001)
        );
        vm.prank(libraryA);
        credit.transfer(libraryB, 100_001);
    }

    function test_transfer_suspendedLedgerHolderCannotMove() public {
        vm.prank(governor);
        consortium.grantRole(Roles.LEDGER, libraryA);
        _suspend(libraryA);
        vm.expectRevert(_notAllowed(libraryA));
        vm.prank(libraryA);
        credit.transfer(libraryB, 1);
    }

    // ------------------------------------------------------------------ allowances

    function test_transferFrom_ledgerNeedsNoAllowance() public {
        vm.prank(ledger);
        credit.transferFrom(libraryA, publisher, 300);
        vm.assertEq(credit.balanceOf(publisher), 300, "pulled without allowance");
        vm.assertEq(credit.allowance(libraryA, ledger), 0, "no allowance touched");
    }

    /// The one-look-up path (spender pulls to itself, as Royalties does) keeps every rule.
    function test_transferFrom_pullToSelf_sameRules() public {
        vm.expectEmit(address(credit));
        emit IERC20.Transfer(libraryA, ledger, 300);
        vm.prank(ledger);
        credit.transferFrom(libraryA, ledger, 300);
        vm.assertEq(credit.balanceOf(ledger), 300, "ledger pulled without allowance");

        vm.expectRevert(_notAllowed(stranger));
        vm.prank(stranger);
        credit.transferFrom(libraryA, stranger, 1);

        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, libraryB, uint256(0), uint256(1))
        );
        vm.prank(libraryB);
        credit.transferFrom(libraryA, libraryB, 1);

        _suspend(libraryA);
        vm.expectRevert(_notAllowed(libraryA));
        vm.prank(ledger);
        credit.transferFrom(libraryA, ledger, 1);

        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidSender.selector, address(0)));
        vm.prank(ledger);
        credit.transferFrom(address(0), ledger, 0);
        vm.assertEq(credit.balanceOf(ledger), 300, "nothing else moved");
    }

    function test_transferFrom_memberNeedsAllowance() public {
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, libraryB, 0, 1));
        vm.prank(libraryB);
        credit.transferFrom(libraryA, libraryB, 1);

        vm.expectEmit(address(credit));
        emit IERC20.Approval(libraryA, libraryB, 500);
        vm.prank(libraryA);
        credit.approve(libraryB, 500);
        vm.prank(libraryB);
        credit.transferFrom(libraryA, libraryB, 200);
        vm.assertEq(credit.allowance(libraryA, libraryB), 300, "allowance spent");
        vm.assertEq(credit.balanceOf(libraryB), 200, "moved");

        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, libraryB, 300, 301)
        );
        vm.prank(libraryB);
        credit.transferFrom(libraryA, libraryB, 301);
    }

    function test_transferFrom_infiniteAllowanceNotSpent() public {
        vm.prank(libraryA);
        credit.approve(libraryB, type(uint256).max);
        vm.prank(libraryB);
        credit.transferFrom(libraryA, libraryB, 10);
        vm.assertEq(credit.allowance(libraryA, libraryB), type(uint256).max, "infinite");
    }

    /// A non-member with an allowance cannot move credit: only members may move it.
    function test_transferFrom_nonMemberSpenderRefused() public {
        vm.prank(libraryA);
        credit.approve(stranger, 500);
        vm.expectRevert(_notAllowed(stranger));
        vm.prank(stranger);
        credit.transferFrom(libraryA, libraryB, 100);
    }

    function test_transferFrom_suspendedSpenderRefused() public {
        vm.prank(libraryA);
        credit.approve(libraryB, 500);
        _suspend(libraryB);
        vm.expectRevert(_notAllowed(libraryB));
        vm.prank(libraryB);
        credit.transferFrom(libraryA, publisher, 100);
    }

    function test_transferFrom_suspendedOwnerRefusedEvenForLedger() public {
        _suspend(libraryA);
        vm.expectRevert(_notAllowed(libraryA));
        vm.prank(ledger);
        credit.transferFrom(libraryA, publisher, 100);
    }

    // ------------------------------------------------------------------ pause

    function test_pause_stopsEveryMovement() public {
        vm.expectEmit(address(credit));
        emit Pausable.Paused(governor);
        _pauseCredit();
        vm.prank(libraryA);
        credit.approve(libraryB, 10); // approvals are not movements

        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(libraryA);
        credit.transfer(libraryB, 1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(libraryB);
        credit.transferFrom(libraryA, libraryB, 1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(ledger);
        credit.transferFrom(libraryA, libraryB, 1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(treasury);
        credit.mint(libraryA, 1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(treasury);
        credit.burn(0);

        vm.prank(governor);
        credit.unpause();
        vm.prank(libraryA);
        credit.transfer(libraryB, 1);
        vm.assertEq(credit.balanceOf(libraryB), 1, "moves after unpause");
    }

    /// The platform pause (Consortium.pause) freezes every movement of credit too, including
    /// transfers between active members that need no role.
    function test_consortiumPause_freezesMemberTransfers() public {
        vm.prank(libraryA);
        credit.approve(libraryB, 10);
        vm.prank(governor);
        consortium.pause();

        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(libraryA);
        credit.transfer(libraryB, 1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(libraryB);
        credit.transferFrom(libraryA, libraryB, 1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(ledger);
        credit.transferFrom(libraryA, libraryB, 1);
        vm.assertEq(credit.balanceOf(libraryB), 0, "nothing moved while paused");
        vm.assertEq(credit.allowance(libraryA, libraryB), 10, "allowance untouched");

        vm.prank(governor);
        consortium.unpause();
        vm.prank(libraryA);
        credit.transfer(libraryB, 1);
        vm.prank(libraryB);
        credit.transferFrom(libraryA, libraryB, 2);
        vm.assertEq(credit.balanceOf(libraryB), 3, "moves after the consortium unpauses");
    }

    function test_pause_onlyGovernor() public {
        vm.expectRevert(_unauthorized(libraryA, Roles.GOVERNOR));
        vm.prank(libraryA);
        credit.pause();
        _pauseCredit();
        vm.expectRevert(_unauthorized(treasury, Roles.GOVERNOR));
        vm.prank(treasury);
        credit.unpause();
    }

    function test_mint_upToSupplyCap() public {
        vm.assertEq(credit.MAX_SUPPLY(), type(uint88).max, "cap");
        _mint(libraryB, MAX_SUPPLY);
        vm.assertEq(credit.totalSupply(), type(uint88).max, "at the cap");
        vm.expectRevert(abi.encodeWithSelector(Credit.CreditSupplyCapExceeded.selector, uint256(type(uint88).max) + 1, type(uint88).max));
        vm.prank(treasury);
        credit.mint(libraryB, 1);
    }

    function test_mint_revertsToZeroAddress() public {
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        vm.prank(treasury);
        credit.mint(address(0), 1);
    }

    // ------------------------------------------------------------------ Royalties in slot 0

    function _setRoyalties(address r) internal {
        vm.prank(governor);
        credit.setRoyalties(r);
    }

    function test_setRoyalties_onceByGovernor() public {
        vm.assertEq(credit.royalties(), address(0), "unset");
        vm.expectEmit(address(credit));
        emit Credit.RoyaltiesSet(ledger);
        _setRoyalties(ledger);
        vm.assertEq(credit.royalties(), ledger, "set");
        vm.expectRevert(abi.encodeWithSelector(Credit.CreditRoyaltiesAlreadySet.selector, ledger));
        _setRoyalties(libraryA);
    }

    function test_setRoyalties_movesWhatItHeldIntoSlotZero() public {
        _mint(ledger, 777);
        _setRoyalties(ledger);
        vm.assertEq(credit.balanceOf(ledger), 777, "same balance");
        vm.assertEq(credit.totalSupply(), 100_777, "supply");
        uint256 word = uint256(vm.load(address(credit), bytes32(0)));
        vm.assertEq(word & 0xff, 0, "not paused");
        vm.assertEq(address(uint160(word >> 8)), ledger, "royalties in bytes 1-20");
        vm.assertEq(word >> 168, 777, "its fen in bytes 21-31");
    }

    function test_setRoyalties_revertsForNonGovernor() public {
        vm.expectRevert(_unauthorized(libraryA, Roles.GOVERNOR));
        vm.prank(libraryA);
        credit.setRoyalties(ledger);
    }

    function test_setRoyalties_revertsWithoutLedgerRole() public {
        vm.expectRevert(_notAllowed(libraryA));
        _setRoyalties(libraryA);
        vm.expectRevert(_notAllowed(address(0)));
        _setRoyalties(address(0));
    }

    function test_transfer_toAndFromRoyalties() public {
        _setRoyalties(ledger);
        vm.expectEmit(address(credit));
        emit IERC20.Transfer(libraryA, ledger, 600);
        vm.prank(libraryA);
        credit.transfer(ledger, 600);
        vm.prank(ledger);
        credit.transferFrom(libraryA, ledger, 400); // a Royalties payment: no allowance
        vm.assertEq(credit.balanceOf(ledger), 1_000, "held in slot 0");
        vm.prank(ledger);
        credit.transfer(libraryB, 250);
        vm.assertEq(credit.balanceOf(ledger), 750, "royalties");
        vm.assertEq(credit.balanceOf(libraryB), 250, "recipient");
        vm.assertEq(credit.balanceOf(libraryA), 99_000, "sender");
        vm.assertEq(credit.totalSupply(), 100_000, "supply");
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, ledger, 750, 751));
        vm.prank(ledger);
        credit.transfer(libraryB, 751);
    }

    /// The other side of a move to or from Royalties is still checked; so are both pauses.
    function test_transfer_royaltiesOtherSideStillChecked() public {
        _setRoyalties(ledger);
        _mint(ledger, 500);
        vm.expectRevert(_notAllowed(stranger));
        vm.prank(ledger);
        credit.transfer(stranger, 1);
        _suspend(libraryB);
        vm.expectRevert(_notAllowed(libraryB));
        vm.prank(ledger);
        credit.transfer(libraryB, 1);
        vm.expectRevert(_notAllowed(libraryB));
        vm.prank(libraryB);
        credit.transfer(ledger, 0);
        _pauseCredit();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(libraryA);
        credit.transfer(ledger, 1);
        _pauseConsortiumInstead();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(ledger);
        credit.transfer(libraryA, 1);
    }

    function test_payOut_movesRoyaltiesCredit() public {
        _setRoyalties(ledger);
        _mint(ledger, 1_000);
        vm.expectEmit(address(credit));
        emit IERC20.Transfer(ledger, publisher, 640);
        vm.prank(ledger);
        credit.payOut(publisher, 640);
        vm.assertEq(credit.balanceOf(ledger), 360, "royalties");
        vm.assertEq(credit.balanceOf(publisher), 640, "payee");
        vm.assertEq(credit.totalSupply(), 101_000, "supply");
        vm.prank(ledger);
        credit.payOut(publisher, 360);
        vm.assertEq(credit.balanceOf(ledger), 0, "emptied");
        vm.assertEq(uint256(vm.load(address(credit), bytes32(0))), uint256(uint160(ledger)) << 8, "slot 0");
    }

    function test_payOut_revertsForAnyoneButRoyalties() public {
        vm.expectRevert(abi.encodeWithSelector(Credit.CreditNotRoyalties.selector, ledger));
        vm.prank(ledger);
        credit.payOut(publisher, 0); // not set yet
        _setRoyalties(ledger);
        address[4] memory callers = [governor, libraryA, treasury, stranger];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(Credit.CreditNotRoyalties.selector, callers[i]));
            vm.prank(callers[i]);
            credit.payOut(callers[i], 0);
        }
    }

    function test_payOut_revertsWhilePaused() public {
        _setRoyalties(ledger);
        _mint(ledger, 10);
        _pauseCredit();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(ledger);
        credit.payOut(publisher, 1);
        _pauseConsortiumInstead();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(ledger);
        credit.payOut(publisher, 1);
    }

    function test_payOut_revertsToAccountsThatMayNotHoldCredit() public {
        _setRoyalties(ledger);
        _mint(ledger, 10);
        vm.expectRevert(_notAllowed(stranger));
        vm.prank(ledger);
        credit.payOut(stranger, 1);
        _suspend(publisher);
        vm.expectRevert(_notAllowed(publisher));
        vm.prank(ledger);
        credit.payOut(publisher, 1);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        vm.prank(ledger);
        credit.payOut(address(0), 1);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, ledger));
        vm.prank(ledger);
        credit.payOut(ledger, 1);
    }

    function test_payOut_revertsAboveHolding() public {
        _setRoyalties(ledger);
        _mint(ledger, 10);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, ledger, 10, 11));
        vm.prank(ledger);
        credit.payOut(publisher, 11);
    }

    // ------------------------------------------------------------------ multicall

    function test_multicall_batchesTransfers() public {
        bytes[] memory calls = new bytes[](2);
        calls[0] = abi.encodeCall(IERC20.transfer, (libraryB, 100));
        calls[1] = abi.encodeCall(IERC20.transfer, (publisher, 50));
        vm.prank(libraryA);
        credit.multicall(calls);
        vm.assertEq(credit.balanceOf(libraryB), 100, "first");
        vm.assertEq(credit.balanceOf(publisher), 50, "second");
    }

    // ------------------------------------------------------------------ fuzz

    /// Only an active treasury mints; any other caller is refused.
    function testFuzz_mintOnlyByActiveTreasury(address caller, uint256 amount, bool asTreasury, bool suspendTreasury)
        public
    {
        amount = bound(amount, 1, MAX_SUPPLY);
        if (asTreasury) caller = treasury;
        if (suspendTreasury) _suspend(treasury);
        uint256 supply = credit.totalSupply();
        bool allowed = caller == treasury && !suspendTreasury;
        if (!allowed) vm.expectRevert(_unauthorized(caller, Roles.TREASURY));
        vm.prank(caller);
        credit.mint(libraryB, amount);
        vm.assertEq(credit.totalSupply(), allowed ? supply + amount : supply, "supply");
    }

    /// Only an active treasury burns.
    function testFuzz_burnOnlyByActiveTreasury(address caller, uint256 amount) public {
        amount = bound(amount, 0, 100_000);
        vm.assume(caller != treasury);
        vm.prank(libraryA);
        credit.transfer(treasury, 100_000);
        vm.expectRevert(_unauthorized(caller, Roles.TREASURY));
        vm.prank(caller);
        credit.burn(amount);
        vm.prank(treasury);
        credit.burn(amount);
        vm.assertEq(credit.totalSupply(), 100_000 - amount, "burned");
    }

    /// Transfers between active members conserve credit.
    function testFuzz_transferConserves(uint256 minted, uint256 sent) public {
        minted = bound(minted, 0, MAX_SUPPLY);
        sent = bound(sent, 0, minted);
        _mint(libraryB, minted);
        vm.prank(libraryB);
        credit.transfer(publisher, sent);
        vm.assertEq(credit.balanceOf(libraryB), minted - sent, "sender");
        vm.assertEq(credit.balanceOf(publisher), sent, "receiver");
        vm.assertEq(credit.totalSupply(), 100_000 + minted, "supply unchanged by transfer");
    }

    /// No account that is not an active member (nor a libledger contract) ever receives credit.
    function testFuzz_nonMemberNeverReceives(address to, uint256 amount) public {
        _assumeFresh(to);
        vm.assume(to != address(0));
        amount = bound(amount, 0, 100_000);
        vm.expectRevert(_notAllowed(to));
        vm.prank(libraryA);
        credit.transfer(to, amount);
        vm.expectRevert(_notAllowed(to));
        vm.prank(treasury);
        credit.mint(to, amount);
        vm.expectRevert(_notAllowed(to));
        vm.prank(ledger);
        credit.transferFrom(libraryA, to, amount);
        vm.assertEq(credit.balanceOf(to), 0, "nothing held");
    }

    /// A suspended member can neither send nor receive, by any path; after reinstatement it can.
    function testFuzz_suspendedCannotSendOrReceive(uint256 amount, bool suspendSender) public {
        amount = bound(amount, 0, 100_000);
        address suspended = suspendSender ? libraryA : libraryB;
        _suspend(suspended);
        vm.expectRevert(_notAllowed(suspended));
        vm.prank(libraryA);
        credit.transfer(libraryB, amount);
        vm.expectRevert(_notAllowed(suspended));
        vm.prank(ledger);
        credit.transferFrom(libraryA, libraryB, amount);
        vm.assertEq(credit.balanceOf(libraryA), 100_000, "nothing moved");

        _reinstate(suspended);
        vm.prank(libraryA);
        credit.transfer(libraryB, amount);
        vm.assertEq(credit.balanceOf(libraryB), amount, "moved after reinstatement");
    }

    /// A LEDGER_ROLE spender needs no allowance; any other spender needs one at least as large.
    function testFuzz_allowanceRules(address spender, uint256 allowance_, uint256 amount) public {
        allowance_ = bound(allowance_, 0, 200_000);
        amount = bound(amount, 0, 100_000);
        _assumeFresh(spender);
        vm.assume(spender != address(0));
        _admit(spender, "CN-FUZZ", "Fuzz", _roles(Roles.LIBRARY));

        vm.prank(libraryA);
        credit.approve(spender, allowance_);
        if (amount > allowance_) {
            vm.expectRevert(
                abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, spender, allowance_, amount)
            );
        }
        vm.prank(spender);
        credit.transferFrom(libraryA, libraryB, amount);
        if (amount <= allowance_) {
            vm.assertEq(credit.allowance(libraryA, spender), allowance_ - amount, "allowance spent");
        }

        // granted LEDGER_ROLE, the same spender pulls without touching the allowance
        vm.prank(governor);
        consortium.grantRole(Roles.LEDGER, spender);
        uint256 before = credit.allowance(libraryA, spender);
        uint256 balance = credit.balanceOf(libraryA);
        vm.prank(spender);
        credit.transferFrom(libraryA, libraryB, balance);
        vm.assertEq(credit.allowance(libraryA, spender), before, "allowance untouched");
        vm.assertEq(credit.balanceOf(libraryA), 0, "pulled everything");
    }

    /// Credit in and out of Royalties' slot 0 is conserved; the pause flag and the address
    /// beside it are never disturbed.
    function testFuzz_royaltiesSlotZeroConserves(uint256 minted, uint256 paidIn, uint256 paidOut, bool viaPayOut)
        public
    {
        _setRoyalties(ledger);
        minted = bound(minted, 0, MAX_SUPPLY);
        _mint(libraryB, minted);
        paidIn = bound(paidIn, 0, minted);
        paidOut = bound(paidOut, 0, paidIn);
        vm.prank(ledger);
        credit.transferFrom(libraryB, ledger, paidIn);
        vm.prank(ledger);
        if (viaPayOut) credit.payOut(publisher, paidOut);
        else credit.transfer(publisher, paidOut);
        vm.assertEq(credit.balanceOf(ledger), paidIn - paidOut, "royalties");
        vm.assertEq(credit.balanceOf(libraryB) + credit.balanceOf(publisher) + credit.balanceOf(ledger), minted, "moved");
        vm.assertEq(credit.totalSupply(), 100_000 + minted, "supply");
        uint256 word = uint256(vm.load(address(credit), bytes32(0)));
        vm.assertEq(word & ((1 << 168) - 1), uint256(uint160(ledger)) << 8, "flag and address intact");
    }

    /// While paused nothing moves, whoever asks.
    function testFuzz_pauseStopsTransfers(address from, uint256 amount) public {
        amount = bound(amount, 0, 100_000);
        _pauseCredit();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(from);
        credit.transfer(libraryB, amount);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(ledger);
        credit.transferFrom(libraryA, libraryB, amount);
    }
}
