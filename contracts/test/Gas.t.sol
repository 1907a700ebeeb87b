// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {LedgerFixture} from "./utils/LedgerFixture.sol";
import {Licensing} from "../src/Licensing.sol";

/// @dev Steady-state operations for gas measurement: run with
/// `forge test --match-contract GasScenarios --gas-report --isolate` (isolate = each call is its
/// own transaction, so cold storage and the 21,000 base cost count as on a real chain).
/// Every payee and the treasury already hold a balance, as in production.
contract GasScenariosTest is LedgerFixture {
    uint256 internal workId;
    uint256 internal perpetualTerms;
    uint256 internal meteredTerms;
    uint256 internal meteredLicence;

    function setUp() public override {
        _deployLedger();
        workId = _registerWork(1); // two payees
        perpetualTerms = _offer(workId, _termsInput(Licensing.TermsKind.PerpetualCopies, 5_000));
        meteredTerms = _offer(workId, _termsInput(Licensing.TermsKind.PerLoanMetered, 300));
        _acquire(library1, workId, perpetualTerms, 1); // warms balances of payees and treasury
        meteredLicence = _acquire(library1, workId, meteredTerms, 1_000);
        _deposit(library1, 100_000_00);
        vm.prank(library1);
        lending.checkout(meteredLicence, keccak256("warm the loan counter"));
    }

    function test_gas_registerWork() public {
        _registerWork(2);
    }

    function test_gas_acquireTwoPayees() public {
        _acquire(library1, workId, perpetualTerms, 1);
    }

    function test_gas_meteredCheckout() public {
        vm.prank(library1);
        lending.checkout(meteredLicence, keccak256("patron-ref-1"));
    }

    /// The third loan of a group of three writes the group's own slot (zero -> non-zero).
    function test_gas_meteredCheckout_thirdOfGroup() public {
        vm.prank(library1);
        lending.checkout(meteredLicence, keccak256("patron-ref-1"));
        vm.prank(library1);
        lending.checkout(meteredLicence, keccak256("patron-ref-2"));
    }

    function test_gas_checkin() public {
        vm.prank(library1);
        uint256 loanId = lending.checkout(meteredLicence, keccak256("patron-ref-1"));
        vm.prank(library1);
        lending.checkin(loanId);
    }

    function test_gas_withdraw() public {
        vm.prank(publisher1);
        royalties.withdraw(); // first withdrawal: publisher1's credit balance goes 0 -> n
        _acquire(library1, workId, perpetualTerms, 1);
        vm.prank(publisher1);
        royalties.withdraw(); // steady state
    }
}

/// @dev As `GasScenariosTest`, after the library reserved loan-group slots in `setUp`
/// (`reserveLoanSlots`, not counted): the same two checkouts as
/// `test_gas_meteredCheckout_thirdOfGroup`, whose second now writes its group's slot
/// non-zero -> non-zero. The difference between the two snapshot lines is the saving.
contract GasReservedScenariosTest is LedgerFixture {
    uint256 internal meteredLicence;

    function setUp() public override {
        _deployLedger();
        uint256 workId = _registerWork(1); // two payees
        uint256 perpetualTerms = _offer(workId, _termsInput(Licensing.TermsKind.PerpetualCopies, 5_000));
        uint256 meteredTerms = _offer(workId, _termsInput(Licensing.TermsKind.PerLoanMetered, 300));
        _acquire(library1, workId, perpetualTerms, 1); // warms balances of payees and treasury
        meteredLicence = _acquire(library1, workId, meteredTerms, 1_000);
        _deposit(library1, 100_000_00);
        vm.prank(library1);
        lending.checkout(meteredLicence, keccak256("warm the loan counter"));
        vm.prank(library1);
        lending.reserveLoanSlots(4);
    }

    function test_gas_meteredCheckout_thirdAfterReserving() public {
        vm.prank(library1);
        lending.checkout(meteredLicence, keccak256("patron-ref-1"));
        vm.prank(library1);
        lending.checkout(meteredLicence, keccak256("patron-ref-2"));
    }
}
