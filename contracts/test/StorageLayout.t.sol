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

    /// Lending: byte 0 the pause flag, bytes 1-8 the loan counter.
    function test_lending_pauseFlagAndLoanCounterShareSlotZero() public {
        uint256 workId = _registerWork(7);
        uint256 terms = _offer(workId, _termsInput(Licensing.TermsKind.PerLoanMetered, 300));
        uint256 licenceId = _acquire(library1, workId, terms, 2);
        vm.prank(library1);
        lending.checkout(licenceId, keccak256("ref-1"));
        vm.prank(library1);
        lending.checkout(licenceId, keccak256("ref-2"));
        vm.assertEq(lending.loanCount(), 2, "two loans");
        vm.assertEq(_slot0(address(lending)), 2 << 8, "counter in bytes 1-8");
        vm.prank(governor);
        lending.pause();
        vm.assertEq(_slot0(address(lending)), (2 << 8) | 1, "pause flag in byte 0");
    }
}
