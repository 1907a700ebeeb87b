// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {PackedLoansTest} from "./utils/PackedLoansTest.sol";
import {Licensing} from "../src/Licensing.sol";
import {Royalties} from "../src/Royalties.sol";
import {ConsortiumGuarded} from "../src/access/ConsortiumGuarded.sol";
import {Roles} from "../src/access/Roles.sol";

/// @dev Digital loans of one library (`Licensing.checkout`, `checkin`, `expire`, `loan`); the
/// Lending contract they once lived in is gone.
contract LicensingLoansTest is PackedLoansTest {
    uint256 internal workId;
    uint256 internal perpetualTerms;
    uint256 internal meteredTerms;

    event LoanCheckedOut(
        uint256 indexed loanId, uint256 indexed licenceId, address indexed library_, bytes32 ref, uint256 dueAt, uint256 charge
    );

    function setUp() public override {
        _deployLedger();
        workId = _registerWork(1);
        perpetualTerms = _offer(workId, _termsInput(Licensing.TermsKind.PerpetualCopies, 5_000));
        meteredTerms = _offer(workId, _termsInput(Licensing.TermsKind.PerLoanMetered, 300));
    }

    function test_checkout_recordsLoan() public {
        uint256 licenceId = _acquire(library1, workId, perpetualTerms, 1);
        bytes32 ref = keccak256("opaque");
        vm.expectEmit(true, true, true, true, address(lending));
        emit LoanCheckedOut(1, licenceId, library1, ref, T0 + 14 days, 0);
        vm.prank(library1);
        uint256 loanId = lending.checkout(licenceId, ref);
        assertEq(loanId, 1);
        Licensing.Loan memory l = lending.loan(loanId);
        assertEq(l.licenceId, licenceId);
        assertEq(l.dueAt, T0 + 14 days);
        assertTrue(l.status == Licensing.LoanStatus.Active);
        assertEq(l.library_, library1);
        assertEq(lending.loanCount(), 1);
        assertEq(licensing.licence(licenceId).activeLoans, 1);
        assertEq(credit.balanceOf(library1), START_CREDIT - 5_000, "perpetual: no per-loan charge");
    }

    function test_checkout_meteredPaysPerLoan() public {
        uint256 licenceId = _acquire(library1, workId, meteredTerms, 2);
        _deposit(library1, 1_000);
        _checkout(library1, licenceId, 1);
        _checkout(library1, licenceId, 2);
        vm.assertEq(credit.balanceOf(library1), START_CREDIT - 1_000, "the deposit left the credit balance once");
        vm.assertEq(royalties.depositOf(library1), 400, "two loans at 300 paid from the deposit");
        vm.assertEq(credit.balanceOf(address(royalties)), 1_000, "royalties holds balances + deposit");
        assertEq(royalties.balanceOf(platform), 180);
        assertEq(royalties.balanceOf(publisher1), 294);
        assertEq(royalties.balanceOf(publisher2), 126);
    }

    function test_checkout_neverExceedsCopies() public {
        uint256 licenceId = _acquire(library1, workId, perpetualTerms, 1);
        uint256 loanId = _checkout(library1, licenceId, 1);
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingNoFreeCopy.selector, licenceId, 1));
        lending.checkout(licenceId, keccak256("second"));
        vm.prank(library1);
        lending.checkin(loanId);
        _checkout(library1, licenceId, 2);
    }

    function test_checkout_reverts() public {
        uint256 licenceId = _acquire(library1, workId, perpetualTerms, 1);
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, publisher1, Roles.LIBRARY));
        lending.checkout(licenceId, keccak256("x"));
        vm.startPrank(library1);
        vm.expectRevert(Licensing.LendingZeroReference.selector);
        lending.checkout(licenceId, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(Licensing.LendingIdOverflow.selector, uint256(type(uint40).max) + 1));
        lending.checkout(uint256(type(uint40).max) + 1, keccak256("x"));
        vm.stopPrank();
        vm.prank(library2);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingNotLicenceHolder.selector, licenceId, library2));
        lending.checkout(licenceId, keccak256("x"));
        vm.prank(governor);
        lending.pause();
        vm.prank(library1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        lending.checkout(licenceId, keccak256("x"));
    }

    function test_checkout_exhaustedLicenceCannotLend() public {
        Licensing.TermsInput memory t = _termsInput(Licensing.TermsKind.PerpetualCopies, 5_000);
        t.maxLoansPerCopy = 2;
        uint256 termsId = _offer(workId, t);
        uint256 licenceId = _acquire(library1, workId, termsId, 1);
        for (uint256 i = 0; i < 2; ++i) {
            uint256 loanId = _checkout(library1, licenceId, i);
            vm.prank(library1);
            lending.checkin(loanId);
        }
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicenceExhausted.selector, licenceId));
        lending.checkout(licenceId, keccak256("third"));
    }

    function test_checkout_expiredLicenceCannotLend() public {
        uint256 subTerms = _offer(workId, _termsInput(Licensing.TermsKind.Subscription, 5_000));
        uint256 licenceId = _acquire(library1, workId, subTerms, 1);
        vm.warp(T0 + 365 days);
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingLicenceExpired.selector, licenceId, T0 + 365 days));
        lending.checkout(licenceId, keccak256("late"));
    }

    function test_multicall_batchesCheckouts() public {
        uint256 licenceId = _acquire(library1, workId, meteredTerms, 5);
        bytes[] memory calls = new bytes[](5);
        for (uint256 i = 0; i < 5; ++i) {
            calls[i] = abi.encodeCall(lending.checkout, (licenceId, keccak256(abi.encode(i))));
        }
        _deposit(library1, 1_500);
        vm.prank(library1);
        bytes[] memory results = lending.multicall(calls);
        assertEq(abi.decode(results[4], (uint256)), 5);
        assertEq(licensing.licence(licenceId).activeLoans, 5);
        vm.assertEq(royalties.depositOf(library1), 0, "five loans at 300 spent the deposit");
        for (uint256 i = 1; i <= 5; ++i) {
            Licensing.Loan memory l = lending.loan(i);
            assertEq(l.licenceId, licenceId);
            assertTrue(l.status == Licensing.LoanStatus.Active);
            assertEq(l.library_, library1);
        }
    }

    function test_checkin() public {
        uint256 licenceId = _acquire(library1, workId, perpetualTerms, 1);
        uint256 loanId = _checkout(library1, licenceId, 1);
        vm.prank(library2);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LendingNotBorrower.selector, loanId, library2));
        lending.checkin(loanId);
        vm.prank(library1);
        lending.checkin(loanId);
        assertTrue(lending.loan(loanId).status == Licensing.LoanStatus.Returned);
        assertEq(licensing.licence(licenceId).activeLoans, 0);
        vm.prank(library1);
        vm.expectRevert(
            abi.encodeWithSelector(Licensing.LendingLoanNotActive.selector, loanId, Licensing.LoanStatus.Returned)
        );
        lending.checkin(loanId);
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LendingUnknownLoan.selector, 9));
        lending.checkin(9);
    }

    function test_checkin_revertsUnauthorized() public {
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, outsider, Roles.LIBRARY));
        lending.checkin(1);
    }

    function test_expire_byAnyoneAfterDueDate() public {
        uint256 licenceId = _acquire(library1, workId, perpetualTerms, 1);
        uint256 loanId = _checkout(library1, licenceId, 1);
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LendingNotDue.selector, loanId, T0 + 14 days));
        lending.expire(loanId);
        vm.warp(T0 + 14 days + 1);
        vm.prank(outsider);
        lending.expire(loanId);
        assertTrue(lending.loan(loanId).status == Licensing.LoanStatus.Expired);
        assertEq(licensing.licence(licenceId).activeLoans, 0);
        vm.expectRevert(
            abi.encodeWithSelector(Licensing.LendingLoanNotActive.selector, loanId, Licensing.LoanStatus.Expired)
        );
        lending.expire(loanId);
    }

    function test_loan_revertsUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(Licensing.LendingUnknownLoan.selector, 1));
        lending.loan(1);
    }

    /// Random checkout / checkin / expire sequences never exceed the licence's copies.
    function testFuzz_activeLoansNeverExceedCopies(uint8 copies, uint256 seed) public {
        copies = uint8(bound(copies, 1, 4));
        uint256 licenceId = _acquire(library1, workId, meteredTerms, copies);
        _deposit(library1, 24 * 300);
        uint256[] memory open = new uint256[](32);
        uint256 openCount;
        for (uint256 i = 0; i < 24; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            if (r % 3 != 0 || openCount == 0) {
                vm.prank(library1);
                try lending.checkout(licenceId, bytes32(r | 1)) returns (uint256 loanId) {
                    open[openCount++] = loanId;
                } catch {
                    assertEq(openCount, copies, "refused only when full");
                }
            } else {
                uint256 k = (r >> 8) % openCount;
                if (r % 2 == 0) {
                    vm.prank(library1);
                    lending.checkin(open[k]);
                } else {
                    vm.warp(block.timestamp + 14 days + 1);
                    lending.expire(open[k]);
                }
                open[k] = open[--openCount];
            }
            uint256 active = licensing.licence(licenceId).activeLoans;
            assertEq(active, openCount);
            assertLe(active, copies);
        }
    }

    function test_checkout_meteredWithoutDepositSaysSo() public {
        uint256 licenceId = _acquire(library1, workId, meteredTerms, 2);
        _deposit(library1, 299);
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(Royalties.DepositTooLow.selector, library1, 299, 300));
        lending.checkout(licenceId, keccak256("x"));
        assertEq(lending.loanCount(), 0, "nothing written");
        assertEq(licensing.licence(licenceId).activeLoans, 0);
        assertEq(royalties.depositOf(library1), 299);
    }

    /// Loans are stored three per slot, the newest two in slot 0: every loan must read back,
    /// and ending one must not touch its neighbours, wherever it lives.
    function testFuzz_packedLoansReadBackAndEndAlone(uint8 n, uint256 seed) public {
        n = uint8(bound(n, 1, 12));
        LoanScenario memory s = _playPackedLoans(workId, perpetualTerms, n, seed, false);
        _assertLoansReadBack(s);
        vm.warp(block.timestamp + 15 days);
        for (uint256 i = n; i >= 1; --i) {
            if (s.state[i] == 1) {
                lending.expire(i);
                s.state[i] = 3; // expired
            }
        }
        _assertLoansReadBack(s);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LendingUnknownLoan.selector, uint256(n) + 1));
        lending.loan(uint256(n) + 1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LendingUnknownLoan.selector, 0));
        lending.loan(0);
    }
}
