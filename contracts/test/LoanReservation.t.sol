// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {PackedLoansTest} from "./utils/PackedLoansTest.sol";
import {Licensing} from "../src/Licensing.sol";
import {ConsortiumGuarded} from "../src/access/ConsortiumGuarded.sol";
import {Roles} from "../src/access/Roles.sol";

/// @dev Loan-group storage reservation (`Licensing.reserveLoanSlots`, issue #3): the sentinel
/// lands in the right slots, is never visible as a loan, and the group write into a reserved
/// slot is the cheap non-zero -> non-zero write.
contract LoanReservationTest is PackedLoansTest {
    /// `_loanGroups` is Licensing's storage slot 8 (`forge inspect Licensing storageLayout`);
    /// `_reservedUpTo` slot 13.
    uint256 internal constant LOAN_GROUPS_SLOT = 8;
    uint256 internal constant SENTINEL = 1 << 255;

    uint256 internal workId;
    uint256 internal perpetualTerms;

    event LoanSlotsReserved(address indexed by, uint256 fromGroup, uint256 toGroup);

    function setUp() public override {
        _deployLedger();
        workId = _registerWork(1);
        perpetualTerms = _offer(workId, _termsInput(Licensing.TermsKind.PerpetualCopies, 5_000));
    }

    function _groupWord(uint256 group) internal view returns (uint256) {
        return uint256(vm.load(address(lending), keccak256(abi.encode(group, LOAN_GROUPS_SLOT))));
    }

    function test_reserve_writesSentinelBeyondCursorAndEmits() public {
        vm.expectEmit(true, true, true, true, address(lending));
        emit LoanSlotsReserved(library1, 0, 3);
        (uint256 from, uint256 to) = _reserve(library1, 3);
        assertEq(from, 0);
        assertEq(to, 3);
        assertEq(lending.reservedUpTo(), 3);
        for (uint256 g = 0; g < 3; ++g) {
            assertEq(_groupWord(g), SENTINEL, "reserved group holds the sentinel");
        }
        assertEq(_groupWord(3), 0, "beyond the reservation untouched");
        // the platform may reserve too; the cursor moves on
        (from, to) = _reserve(platform, 2);
        assertEq(from, 3);
        assertEq(to, 5);
        assertEq(_groupWord(4), SENTINEL);
        assertEq(lending.loanCount(), 0, "no loan made");
    }

    /// Reserved slots never read as loans: ids beyond the counter stay unknown, and a reserved
    /// group's loans read back exactly once written.
    function test_reserve_sentinelNeverVisibleAsLoan() public {
        uint256 lic = _acquire(library1, workId, perpetualTerms, 10);
        _reserve(library1, 4);
        for (uint256 id = 0; id <= 12; ++id) {
            vm.expectRevert(abi.encodeWithSelector(Licensing.LendingUnknownLoan.selector, id));
            lending.loan(id);
        }
        for (uint256 i = 1; i <= 4; ++i) {
            assertEq(_checkout(library1, lic, i), i);
        }
        assertEq(_groupWord(0) & SENTINEL, 0, "group write replaced the sentinel");
        assertEq(_groupWord(1), SENTINEL, "group 1 still filling: its slot keeps the sentinel");
        for (uint256 i = 1; i <= 4; ++i) {
            Licensing.Loan memory l = lending.loan(i);
            assertEq(l.licenceId, lic);
            assertEq(l.dueAt, T0 + 14 days);
            assertTrue(l.status == Licensing.LoanStatus.Active);
            assertEq(l.library_, library1);
        }
        vm.expectRevert(abi.encodeWithSelector(Licensing.LendingUnknownLoan.selector, 5));
        lending.loan(5);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LendingUnknownLoan.selector, 5));
        vm.prank(library1);
        lending.checkin(5);
        vm.warp(T0 + 30 days);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LendingUnknownLoan.selector, 7));
        lending.expire(7);
        // checkin / expire of real loans in a reserved-then-written group
        vm.prank(library1);
        lending.checkin(2);
        lending.expire(3);
        assertTrue(lending.loan(1).status == Licensing.LoanStatus.Active);
        assertTrue(lending.loan(2).status == Licensing.LoanStatus.Returned);
        assertTrue(lending.loan(3).status == Licensing.LoanStatus.Expired);
        assertEq(licensing.licence(lic).activeLoans, 2);
    }

    /// Written groups are never overwritten: a reservation behind the loan counter starts at
    /// the group still filling.
    function test_reserve_neverTouchesWrittenGroups() public {
        uint256 lic = _acquire(library1, workId, perpetualTerms, 10);
        for (uint256 i = 1; i <= 7; ++i) {
            _checkout(library1, lic, i);
        }
        uint256 g0 = _groupWord(0);
        uint256 g1 = _groupWord(1);
        (uint256 from, uint256 to) = _reserve(library2, 2);
        assertEq(from, 2, "starts at the group still filling (loans 7-9)");
        assertEq(to, 4);
        assertEq(_groupWord(0), g0);
        assertEq(_groupWord(1), g1);
        assertEq(_groupWord(2), SENTINEL);
        for (uint256 i = 8; i <= 9; ++i) {
            _checkout(library1, lic, i);
        }
        for (uint256 i = 1; i <= 9; ++i) {
            assertEq(lending.loan(i).licenceId, lic);
            assertTrue(lending.loan(i).status == Licensing.LoanStatus.Active);
        }
    }

    /// The third checkout of a group costs ~17k less into a reserved slot (non-zero -> non-zero
    /// write instead of zero -> non-zero); both paths store the same loan.
    function test_checkout_thirdOfGroupReservedAndUnreserved() public {
        uint256 lic = _acquire(library1, workId, perpetualTerms, 10);
        _checkout(library1, lic, 1);
        _checkout(library1, lic, 2);
        uint256 snap = vm.snapshotState();

        vm.prank(library1);
        uint256 g = gasleft();
        lending.checkout(lic, keccak256("third"));
        uint256 unreserved = g - gasleft();
        uint256 wordUnreserved = _groupWord(0);

        vm.revertToState(snap);
        _reserve(library1, 1);
        vm.prank(library1);
        g = gasleft();
        lending.checkout(lic, keccak256("third"));
        uint256 reserved = g - gasleft();

        assertEq(_groupWord(0), wordUnreserved, "same group word either way");
        vm.assertGt(unreserved, reserved + 15_000); // the reserved slot spares the fresh-slot write
        assertEq(lending.loan(3).licenceId, lic);
    }

    function test_reserve_reverts() public {
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LendingInvalidReserve.selector, 0, 256));
        lending.reserveLoanSlots(0);
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LendingInvalidReserve.selector, 257, 256));
        lending.reserveLoanSlots(257);
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LendingInvalidReserve.selector, type(uint256).max, 256));
        lending.reserveLoanSlots(type(uint256).max);
        assertEq(lending.reservedUpTo(), 0, "nothing reserved");
    }

    function test_reserve_roles() public {
        address[3] memory refused = [publisher1, outsider, sponsor];
        for (uint256 i = 0; i < refused.length; ++i) {
            vm.prank(refused[i]);
            vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, refused[i], Roles.LIBRARY));
            lending.reserveLoanSlots(1);
        }
        vm.prank(governor);
        consortium.suspend(library1, "reserve test");
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, library1, Roles.LIBRARY));
        lending.reserveLoanSlots(1);
        vm.prank(governor);
        lending.pause();
        vm.prank(library2);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        lending.reserveLoanSlots(1);
        assertEq(lending.reservedUpTo(), 0);
    }

    /// The maximum reservation fits in a block and every slot holds the sentinel.
    function test_reserve_maximum() public {
        (uint256 from, uint256 to) = _reserve(library1, 256);
        assertEq(from, 0);
        assertEq(to, 256);
        assertEq(_groupWord(255), SENTINEL);
        assertEq(_groupWord(256), 0);
    }

    /// Random checkouts, checkins and reservations (or none): every loan reads back as written,
    /// ids past the counter stay unknown, reserved unwritten groups keep the sentinel.
    function testFuzz_packedLoansReadBackWithAndWithoutReservation(uint8 n, uint256 seed, bool reserve)
        public
    {
        n = uint8(bound(n, 1, MAX_SCENARIO_LOANS));
        LoanScenario memory s = _playPackedLoans(workId, perpetualTerms, n, seed, reserve);
        _assertLoansReadBack(s);
        uint256 written = uint256(n) / 3; // groups below are written out
        for (uint256 g = 0; g < written; ++g) {
            assertEq(_groupWord(g) & SENTINEL, 0, "written group holds no sentinel");
        }
        for (uint256 g = written; g < lending.reservedUpTo(); ++g) {
            assertEq(_groupWord(g), SENTINEL, "reserved, unwritten group");
        }
        if (!reserve) assertEq(lending.reservedUpTo(), 0);
        for (uint256 id = uint256(n) + 1; id <= uint256(n) + 3; ++id) {
            vm.expectRevert(abi.encodeWithSelector(Licensing.LendingUnknownLoan.selector, id));
            lending.loan(id);
        }
    }
}
