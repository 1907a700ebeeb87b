// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {LedgerFixture} from "./utils/LedgerFixture.sol";
import {Licensing} from "../src/Licensing.sol";

/// @dev Guards the storage packing the gas figures rely on: a contract's pause flag
/// (OpenZeppelin `Pausable._paused`, slot 0, byte 0) shares its slot with a value the hot path
/// touches anyway, so the pause check costs no extra cold slot.
contract StorageLayoutTest is LedgerFixture {
    function _slot0(address target) internal view returns (uint256) {
        return uint256(vm.load(target, bytes32(0)));
    }

    /// Royalties: byte 0 the pause flag, byte 1 the reentrancy lock (1 open).
    function test_royalties_pauseFlagAndLockShareSlotZero() public {
        vm.assertEq(_slot0(address(royalties)), 0x0100, "lock open, not paused");
        vm.prank(governor);
        royalties.pause();
        vm.assertEq(_slot0(address(royalties)), 0x0101, "paused, lock open");
    }

    /// Royalties: the accrued platform fee (bytes 2-11) and its account (bytes 12-31) share
    /// slot 0 too, so a payment credits the fee with a warm write.
    function test_royalties_feeAccrualSharesSlotZero() public {
        uint256 workId = _registerWork(8);
        uint256 terms = _offer(workId, _termsInput(Licensing.TermsKind.PerLoanMetered, 300));
        uint256 licenceId = _acquire(library1, workId, terms, 2);
        _deposit(library1, 600);
        vm.prank(library1);
        lending.checkout(licenceId, keccak256("ref-1"));
        uint256 word = _slot0(address(royalties));
        vm.assertEq(word & 0xffff, 0x0100, "lock open, not paused");
        vm.assertEq((word >> 16) & type(uint80).max, 90, "fee accrued");
        vm.assertEq(address(uint160(word >> 96)), platform, "for the platform treasury");
        vm.assertEq(royalties.balanceOf(platform), 90);
    }

    /// Credit: byte 0 the pause flag, bytes 1-20 the Royalties contract, bytes 21-31 the fen it
    /// holds, so a withdrawal pays out with the pause check's slot (`Credit.payOut`).
    function test_credit_pauseFlagAndRoyaltiesHoldingShareSlotZero() public {
        _deposit(library1, 1_234);
        uint256 word = _slot0(address(credit));
        vm.assertEq(word & 0xff, 0, "not paused");
        vm.assertEq(address(uint160(word >> 8)), address(royalties), "Royalties in bytes 1-20");
        vm.assertEq(word >> 168, 1_234, "its credit in bytes 21-31");
        vm.assertEq(credit.balanceOf(address(royalties)), 1_234);
        vm.prank(governor);
        credit.pause();
        vm.assertEq(_slot0(address(credit)), word | 1, "pause flag in byte 0");
    }

    /// Licensing (digital loans): byte 0 the pause flag, bytes 1-8 the loan counter, then the group's first two
    /// loans (84 bits each) until the third writes the group's own slot.
    function test_lending_pauseFlagAndLoanCounterShareSlotZero() public {
        uint256 workId = _registerWork(7);
        uint256 terms = _offer(workId, _termsInput(Licensing.TermsKind.PerLoanMetered, 300));
        uint256 licenceId = _acquire(library1, workId, terms, 3);
        _deposit(library1, 900);
        vm.prank(library1);
        lending.checkout(licenceId, keccak256("ref-1"));
        vm.prank(library1);
        lending.checkout(licenceId, keccak256("ref-2"));
        vm.assertEq(lending.loanCount(), 2, "two loans");
        uint256 word = _slot0(address(lending));
        vm.assertEq(word & type(uint72).max, 2 << 8, "counter in bytes 1-8");
        uint256 due = T0 + 14 days;
        uint256 rec = licenceId | (due << 40) | (1 << 80);
        vm.assertEq(word >> 72, rec | (rec << 84), "two pending loans");
        vm.prank(library1);
        lending.checkout(licenceId, keccak256("ref-3"));
        vm.assertEq(_slot0(address(lending)), 3 << 8, "group written out, pending empty");
        vm.prank(governor);
        lending.pause();
        vm.assertEq(_slot0(address(lending)), (3 << 8) | 1, "pause flag in byte 0");
    }
}
