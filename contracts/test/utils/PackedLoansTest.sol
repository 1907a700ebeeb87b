// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {LedgerFixture} from "./LedgerFixture.sol";
import {Licensing} from "../../src/Licensing.sol";

/// @dev Loans live three per storage slot in Licensing (the newest two in slot 0). The fuzz
/// body both loan suites share: random checkouts by two libraries, random checkins and (when
/// asked) random loan-slot reservations, then every loan must read back as written.
abstract contract PackedLoansTest is LedgerFixture {
    uint8 internal constant MAX_SCENARIO_LOANS = 15;

    /// What `_playPackedLoans` did, per loan id (index 0 unused).
    struct LoanScenario {
        uint256 licA; // library1's licence
        uint256 licB; // library2's licence
        uint256[] lic;
        uint256[] due;
        uint8[] state; // 1 active, 2 returned
    }

    function _checkout(address lib, uint256 licenceId, uint256 n) internal returns (uint256 loanId) {
        vm.prank(lib);
        loanId = lending.checkout(licenceId, keccak256(abi.encode("patron ref", n)));
    }

    function _reserve(address by, uint256 groups) internal returns (uint256 fromGroup, uint256 toGroup) {
        vm.prank(by);
        (fromGroup, toGroup) = lending.reserveLoanSlots(groups);
    }

    /// Checks out loans 1..n an hour apart on two licences of `terms` (perpetual copies), each
    /// followed now and then by a checkin of an earlier active loan and, when `reserve`, by a
    /// reservation of 1-3 groups.
    function _playPackedLoans(uint256 workId, uint256 terms, uint8 n, uint256 seed, bool reserve)
        internal
        returns (LoanScenario memory s)
    {
        s.licA = _acquire(library1, workId, terms, MAX_SCENARIO_LOANS);
        s.licB = _acquire(library2, workId, terms, MAX_SCENARIO_LOANS);
        s.lic = new uint256[](n + 1);
        s.due = new uint256[](n + 1);
        s.state = new uint8[](n + 1);
        for (uint256 i = 1; i <= n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            if (reserve && r % 4 == 0) {
                _reserve(r % 8 == 0 ? library2 : platform, 1 + (r >> 16) % 3);
            }
            bool a = r % 2 == 0;
            s.lic[i] = a ? s.licA : s.licB;
            vm.warp(block.timestamp + 1 hours);
            s.due[i] = block.timestamp + 14 days;
            vm.assertEq(_checkout(a ? library1 : library2, s.lic[i], i), i, "loan id");
            s.state[i] = 1;
            uint256 k = 1 + (r >> 32) % i;
            if ((r >> 64) % 3 == 0 && s.state[k] == 1) {
                vm.prank(_holder(s, k));
                lending.checkin(k);
                s.state[k] = 2;
            }
        }
    }

    /// Every loan of `s` reads back with its licence, due date, status and library.
    function _assertLoansReadBack(LoanScenario memory s) internal view {
        for (uint256 i = 1; i < s.lic.length; ++i) {
            Licensing.Loan memory l = lending.loan(i);
            vm.assertEq(l.licenceId, s.lic[i], "licence");
            vm.assertEq(l.dueAt, s.due[i], "due");
            vm.assertEq(uint8(l.status), s.state[i], "status");
            vm.assertEq(l.library_, _holder(s, i), "library");
        }
    }

    function _holder(LoanScenario memory s, uint256 loanId) internal view returns (address) {
        return s.lic[loanId] == s.licA ? library1 : library2;
    }
}
