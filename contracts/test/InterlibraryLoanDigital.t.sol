// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {LedgerFixture} from "./utils/LedgerFixture.sol";
import {Clearing} from "../src/Clearing.sol";
import {InterlibraryLoan} from "../src/InterlibraryLoan.sol";
import {Licensing} from "../src/Licensing.sol";
import {Roles} from "../src/access/Roles.sol";
import {ILicensing} from "../src/interfaces/ILicensing.sol";
import {IRoyalties} from "../src/interfaces/IRoyalties.sol";

/// Digital ILL against the real Licensing and Royalties (LedgerFixture + Clearing +
/// InterlibraryLoan, as deploy-plan.json orders them): library2 holds a licence and lends a
/// copy to library1.
contract InterlibraryLoanDigitalTest is LedgerFixture {
    Clearing internal clearing;
    InterlibraryLoan internal ill;
    uint256 internal workId;

    function setUp() public override {
        _deployLedger();
        clearing = new Clearing(consortium, credit);
        ill = new InterlibraryLoan(consortium, ILicensing(address(licensing)), IRoyalties(address(royalties)), clearing);
        vm.startPrank(governor);
        consortium.grantRole(Roles.LEDGER, address(clearing));
        consortium.grantRole(Roles.LEDGER, address(ill));
        vm.stopPrank();
        workId = _registerWork(1);
    }

    function _licence(Licensing.TermsKind kind, uint96 price, bool illAllowed) internal returns (uint256) {
        Licensing.TermsInput memory t = _termsInput(kind, price);
        t.illAllowed = illAllowed;
        uint256 termsId = _offer(workId, t);
        return _acquire(library2, workId, termsId, 1);
    }

    function _request(uint256 licenceId, bytes32 ownId) internal returns (uint256 id) {
        InterlibraryLoan.NewRequest memory r;
        r.supplier = library2;
        r.service = InterlibraryLoan.ServiceType.Loan;
        r.itemKind = InterlibraryLoan.ItemKind.Work;
        r.item = bytes32(workId);
        r.maxCost = 10_00;
        r.ownId = ownId;
        r.licenceId = licenceId;
        vm.prank(library1);
        id = ill.submitRequest(r);
    }

    function _loan(uint256 id, uint256 charge) internal {
        vm.prank(library2);
        ill.updateStatus(id, InterlibraryLoan.Status.Loaned, 0, 0, 0, charge);
    }

    function test_meteredLicence_copyTaken_feeSplit7030_copyReturnedOnCompletion() public {
        uint256 licenceId = _licence(Licensing.TermsKind.PerLoanMetered, 2_00, true);
        uint256 id = _request(licenceId, "digital-1");
        uint256 supplierBefore = credit.balanceOf(library2);
        uint256 platformBefore = royalties.balanceOf(platform);

        _loan(id, 5_00);
        vm.assertEq(licensing.licence(licenceId).activeLoans, 1, "one copy out");
        vm.assertEq(ill.request(id).dueDate, block.timestamp + 14 days, "licence loan period");
        // the supplier pays the per-loan fee in its own call; 30% to the platform, 70% to payees
        vm.assertEq(credit.balanceOf(library2), supplierBefore - 2_00, "per-loan fee paid by supplier");
        vm.assertEq(royalties.balanceOf(platform) - platformBefore, 60, "platform 30%");
        vm.assertEq(royalties.balanceOf(publisher1) + royalties.balanceOf(publisher2), 1_40, "holders 70%");
        // and recovers it (and more) through the lending charge, in the clearing period
        vm.assertEq(uint256(clearing.netPosition(clearing.currentPeriod(), library2)), 5_00, "lending charge");

        // one copy: a second digital ILL of the same licence must wait
        uint256 second = _request(licenceId, "digital-2");
        vm.prank(library2);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingNoFreeCopy.selector, licenceId, 1));
        ill.updateStatus(second, InterlibraryLoan.Status.Loaned, 0, 0, 0, 0);

        vm.prank(library1);
        ill.act(id, InterlibraryLoan.Action.ShippedReturn, address(0));
        vm.prank(library2);
        ill.updateStatus(id, InterlibraryLoan.Status.LoanCompleted, 0, 0, 0, 0);
        vm.assertEq(licensing.licence(licenceId).activeLoans, 0, "copy back");
        _loan(second, 0);
        vm.assertEq(licensing.licence(licenceId).activeLoans, 1, "reused");
    }

    function test_perpetualLicence_noPerLoanFee() public {
        uint256 licenceId = _licence(Licensing.TermsKind.PerpetualCopies, 100_00, true);
        uint256 id = _request(licenceId, "digital-p");
        uint256 before = credit.balanceOf(library2);
        _loan(id, 0);
        vm.assertEq(credit.balanceOf(library2), before, "nothing paid per loan");
        vm.assertEq(licensing.licence(licenceId).activeLoans, 1, "copy out");
    }

    function test_termsWithoutIll_refuseTheLoan() public {
        uint256 licenceId = _licence(Licensing.TermsKind.PerLoanMetered, 2_00, false);
        uint256 id = _request(licenceId, "digital-no");
        vm.prank(library2);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingIllNotAllowed.selector, licenceId));
        ill.updateStatus(id, InterlibraryLoan.Status.Loaned, 0, 0, 0, 0);
        // the supplier answers Unfilled instead (NotAvailableForILL)
        vm.prank(library2);
        ill.updateStatus(id, InterlibraryLoan.Status.Unfilled, 0, 2, 0, 0);
        vm.assertEq(uint256(ill.statusOf(id)), uint256(InterlibraryLoan.Status.Unfilled), "unfilled");
    }

    function test_licenceOfAnotherLibrary_cannotBeLent() public {
        Licensing.TermsInput memory t = _termsInput(Licensing.TermsKind.PerLoanMetered, 2_00);
        uint256 termsId = _offer(workId, t);
        uint256 licenceOf3 = _acquire(library3, workId, termsId, 1);
        uint256 id = _request(licenceOf3, "digital-3");
        vm.prank(library2);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingNotLicenceHolder.selector, licenceOf3, library2));
        ill.updateStatus(id, InterlibraryLoan.Status.Loaned, 0, 0, 0, 0);
    }
}
