// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {LedgerFixture} from "./utils/LedgerFixture.sol";
import {Works} from "../src/Works.sol";
import {Royalties} from "../src/Royalties.sol";
import {Licensing} from "../src/Licensing.sol";
import {ConsortiumGuarded} from "../src/access/ConsortiumGuarded.sol";
import {Roles} from "../src/access/Roles.sol";
import {ILicensing} from "../src/interfaces/ILicensing.sol";

contract LicensingTest is LedgerFixture {
    address internal hook; // stands in for Lending / InterlibraryLoan
    uint256 internal workId;

    event TermsPublished(
        uint256 indexed termsId,
        bytes32 indexed termsHash,
        address indexed publisher,
        Licensing.Terms terms,
        string legalTextURI
    );

    function setUp() public override {
        _deployLedger();
        hook = makeAddr("ledgerHook");
        vm.prank(governor);
        consortium.grantRole(Roles.LEDGER, hook);
        workId = _registerWork(1);
    }

    // ------------------------------------------------------------------ terms

    function test_publishTerms_storesAndDeduplicates() public {
        Licensing.TermsInput memory t = _termsInput(Licensing.TermsKind.PerpetualCopies, 5_000);
        uint256 id = _publish(t);
        assertEq(id, 1);
        assertEq(_publish(t), 1, "same terms, same id");
        assertEq(licensing.termsCount(), 1);
        (Licensing.Terms memory got, string memory uri) = licensing.terms(id);
        assertEq(got.price, 5_000);
        assertEq(got.feeBps, 3_000);
        assertEq(got.copies, 1);
        assertEq(got.loanPeriod, 14 days);
        assertTrue(got.territory == bytes2("CN"));
        assertTrue(got.illAllowed);
        assertEq(uri, "ipfs://bafkreilegaltext");
        assertEq(licensing.termsIdOf(licensing.termsHash(t, 3_000)), 1);
        t.price = 5_001;
        assertEq(_publish(t), 2);
    }

    function test_publishTerms_feeSnapshot() public {
        Licensing.TermsInput memory t = _termsInput(Licensing.TermsKind.PerpetualCopies, 5_000);
        uint256 before = _publish(t);
        vm.prank(governor);
        licensing.setDefaultFeeBps(2_500);
        uint256 afterChange = _publish(t);
        assertTrue(before != afterChange, "new fee, new terms");
        (Licensing.Terms memory a,) = licensing.terms(before);
        (Licensing.Terms memory b,) = licensing.terms(afterChange);
        assertEq(a.feeBps, 3_000);
        assertEq(b.feeBps, 2_500);
    }

    function test_publishTerms_reverts() public {
        Licensing.TermsInput memory t = _termsInput(Licensing.TermsKind.PerpetualCopies, 5_000);
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, library1, Roles.PUBLISHER));
        licensing.publishTerms(t);

        vm.startPrank(publisher1);
        t.copies = 0;
        vm.expectRevert(Licensing.LicensingZeroCopies.selector);
        licensing.publishTerms(t);
        t.copies = 1;
        t.loanPeriod = 0;
        vm.expectRevert(Licensing.LicensingZeroLoanPeriod.selector);
        licensing.publishTerms(t);
        t.loanPeriod = 1 days;
        t.kind = Licensing.TermsKind.Subscription;
        vm.expectRevert(Licensing.LicensingSubscriptionNeedsDuration.selector);
        licensing.publishTerms(t);
        t.duration = uint40(100 * 365 days + 1);
        vm.expectRevert(
            abi.encodeWithSelector(Licensing.LicensingDurationTooLong.selector, 100 * 365 days + 1, 100 * 365 days)
        );
        licensing.publishTerms(t);
        t.duration = 0;
        t.kind = Licensing.TermsKind.PerpetualCopies;
        t.price = 3;
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingPriceTooLow.selector, 3, 3_000));
        licensing.publishTerms(t);
        t.price = 5_000;
        t.territory = "cn";
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingInvalidTerritory.selector, bytes2("cn")));
        licensing.publishTerms(t);
        t.territory = bytes2(0);
        t.legalTextURI = "";
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingInvalidUri.selector, 0, 256));
        licensing.publishTerms(t);
        vm.stopPrank();
    }

    function test_setDefaultFeeBps_reverts() public {
        vm.startPrank(governor);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingInvalidFeeBps.selector, 0));
        licensing.setDefaultFeeBps(0);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingInvalidFeeBps.selector, 10_001));
        licensing.setDefaultFeeBps(10_001);
        vm.stopPrank();
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, publisher1, Roles.GOVERNOR));
        licensing.setDefaultFeeBps(2_000);
        assertEq(licensing.defaultFeeBps(), 3_000);
    }

    function test_attachTerms() public {
        uint256 termsId = _publish(_termsInput(Licensing.TermsKind.PerpetualCopies, 5_000));
        vm.prank(publisher2);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingNotWorkHolder.selector, workId, publisher2));
        licensing.attachTerms(workId, termsId);
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingUnknownTerms.selector, 9));
        licensing.attachTerms(workId, 9);
        vm.prank(publisher1);
        licensing.attachTerms(workId, termsId);
        assertTrue(licensing.offerState(workId, termsId) == Licensing.OfferState.Enabled);
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingTermsAlreadyAttached.selector, workId, termsId));
        licensing.attachTerms(workId, termsId);
    }

    function test_attachTerms_revertsRevokedWork() public {
        uint256 termsId = _publish(_termsInput(Licensing.TermsKind.PerpetualCopies, 5_000));
        _revoke(workId);
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingWorkRevoked.selector, workId));
        licensing.attachTerms(workId, termsId);
    }

    function test_setTermsEnabled() public {
        uint256 termsId = _publish(_termsInput(Licensing.TermsKind.PerpetualCopies, 5_000));
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingTermsNotAttached.selector, workId, termsId));
        licensing.setTermsEnabled(workId, termsId, false);
        vm.prank(publisher1);
        licensing.attachTerms(workId, termsId);
        vm.prank(publisher1);
        licensing.setTermsEnabled(workId, termsId, false);
        assertTrue(licensing.offerState(workId, termsId) == Licensing.OfferState.Disabled);
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingTermsNotEnabled.selector, workId, termsId));
        licensing.acquire(workId, termsId, 1);
        vm.prank(publisher1);
        licensing.setTermsEnabled(workId, termsId, true);
        _acquire(library1, workId, termsId, 1);
    }

    // ------------------------------------------------------------------ acquire

    function test_acquire_perpetualPaysPriceTimesCopies() public {
        Licensing.TermsInput memory t = _termsInput(Licensing.TermsKind.PerpetualCopies, 5_000);
        t.copies = 2;
        uint256 termsId = _offer(workId, t);
        uint256 id = _acquire(library1, workId, termsId, 3);
        assertEq(id, 1);
        Licensing.LicenceView memory l = licensing.licence(id);
        assertEq(l.holder, library1);
        assertEq(l.workId, workId);
        assertEq(l.termsId, termsId);
        assertEq(l.copies, 6);
        assertEq(l.validUntil, 0);
        assertEq(credit.balanceOf(library1), START_CREDIT - 15_000);
        assertEq(royalties.balanceOf(platform), 4_500);
        assertEq(royalties.balanceOf(publisher1), 7_350);
        assertEq(royalties.balanceOf(publisher2), 3_150);
        assertTrue(licensing.isLive(id));
        assertEq(licensing.licenceCount(), 1);
    }

    function test_acquire_meteredPaysNothingUpfront() public {
        uint256 termsId = _offer(workId, _termsInput(Licensing.TermsKind.PerLoanMetered, 300));
        _acquire(library1, workId, termsId, 1);
        assertEq(credit.balanceOf(library1), START_CREDIT);
    }

    function test_acquire_meteredRevertsRevokedWork() public {
        uint256 termsId = _offer(workId, _termsInput(Licensing.TermsKind.PerLoanMetered, 300));
        _revoke(workId);
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingWorkRevoked.selector, workId));
        licensing.acquire(workId, termsId, 1);
    }

    function test_acquire_paidRevertsRevokedWork() public {
        uint256 termsId = _offer(workId, _termsInput(Licensing.TermsKind.PerpetualCopies, 300));
        _revoke(workId);
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(Royalties.RoyaltiesWorkRevoked.selector, workId));
        licensing.acquire(workId, termsId, 1);
    }

    function test_acquire_revertsWhenPaused() public {
        uint256 termsId = _offer(workId, _termsInput(Licensing.TermsKind.PerpetualCopies, 5_000));
        vm.prank(governor);
        licensing.pause();
        vm.prank(library1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        licensing.acquire(workId, termsId, 1);
        vm.prank(governor);
        licensing.unpause();
        _acquire(library1, workId, termsId, 1);
    }

    function test_multicall_publishAttachAndOffer() public {
        Licensing.TermsInput memory t = _termsInput(Licensing.TermsKind.PerpetualCopies, 5_000);
        bytes[] memory calls = new bytes[](2);
        calls[0] = abi.encodeCall(licensing.publishTerms, (t));
        calls[1] = abi.encodeCall(licensing.attachTerms, (workId, 1));
        vm.prank(publisher1);
        licensing.multicall(calls);
        assertTrue(licensing.offerState(workId, 1) == Licensing.OfferState.Enabled);
        assertEq(licensing.offerIdOf(workId, 1), 1);
        Licensing.Offer memory o = licensing.offer(1);
        assertEq(o.workId, workId);
        assertEq(o.termsId, 1);
    }

    function test_acquire_reverts() public {
        uint256 termsId = _offer(workId, _termsInput(Licensing.TermsKind.PerpetualCopies, 5_000));
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, publisher1, Roles.LIBRARY));
        licensing.acquire(workId, termsId, 1);
        vm.startPrank(library1);
        vm.expectRevert(Licensing.LicensingZeroCopies.selector);
        licensing.acquire(workId, termsId, 0);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingTooManyCopies.selector, uint256(type(uint16).max) + 1));
        licensing.acquire(workId, termsId, uint256(type(uint16).max) + 1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingTermsNotEnabled.selector, workId, 77));
        licensing.acquire(workId, 77, 1);
        vm.stopPrank();
    }

    function test_acquireWithPool_splitsSeventyThirty() public {
        uint256 termsId = _offer(workId, _termsInput(Licensing.TermsKind.PerpetualCopies, 10_000));
        uint256 poolId = _pool(100_000);
        vm.prank(library1);
        licensing.acquireWithPool(workId, termsId, 1, poolId);
        assertEq(credit.balanceOf(library1), START_CREDIT - 3_000, "buyer pays 30%");
        assertEq(pools.pool(poolId).balance, 93_000, "pool pays 70%");
        // the rights split applies to the whole price
        assertEq(royalties.balanceOf(platform), 3_000);
        assertEq(royalties.balanceOf(publisher1) + royalties.balanceOf(publisher2), 7_000);
    }

    function test_acquireWithPool_revertsForMetered() public {
        uint256 termsId = _offer(workId, _termsInput(Licensing.TermsKind.PerLoanMetered, 300));
        uint256 poolId = _pool(100_000);
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingNothingToSubsidise.selector, termsId));
        licensing.acquireWithPool(workId, termsId, 1, poolId);
    }

    // ------------------------------------------------------------------ subscriptions

    function test_renew_extendsAndPays() public {
        uint256 termsId = _offer(workId, _termsInput(Licensing.TermsKind.Subscription, 20_000));
        uint256 id = _acquire(library1, workId, termsId, 2);
        assertEq(licensing.licence(id).validUntil, T0 + 365 days);
        vm.warp(T0 + 300 days);
        vm.prank(library1);
        uint256 until = licensing.renew(id);
        assertEq(until, T0 + 730 days, "extends from the current end");
        assertEq(credit.balanceOf(library1), START_CREDIT - 80_000);
        // lapsed: renews from now
        vm.warp(T0 + 1000 days);
        assertFalse(licensing.isLive(id));
        vm.prank(library1);
        until = licensing.renew(id);
        assertEq(until, T0 + 1365 days);
        assertTrue(licensing.isLive(id));
    }

    function test_renewWithPool() public {
        uint256 termsId = _offer(workId, _termsInput(Licensing.TermsKind.Subscription, 20_000));
        uint256 id = _acquire(library1, workId, termsId, 1);
        uint256 poolId = _pool(100_000);
        vm.prank(library1);
        licensing.renewWithPool(id, poolId);
        assertEq(credit.balanceOf(library1), START_CREDIT - 20_000 - 6_000);
        assertEq(pools.pool(poolId).balance, 86_000);
    }

    function test_renew_reverts() public {
        uint256 perpetual = _offer(workId, _termsInput(Licensing.TermsKind.PerpetualCopies, 5_000));
        uint256 id = _acquire(library1, workId, perpetual, 1);
        vm.startPrank(library1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingNotSubscription.selector, id));
        licensing.renew(id);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingUnknownLicence.selector, 9));
        licensing.renew(9);
        vm.stopPrank();
        vm.prank(library2);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingNotLicenceHolder.selector, id, library2));
        licensing.renew(id);
    }

    // ------------------------------------------------------------------ copy hooks

    function test_useCopy_grantsAndCounts() public {
        Licensing.TermsInput memory t = _termsInput(Licensing.TermsKind.PerLoanMetered, 300);
        uint256 termsId = _offer(workId, t);
        uint256 id = _acquire(library1, workId, termsId, 2);
        vm.prank(hook);
        ILicensing.CopyGrant memory g = licensing.useCopy(id, library1, true);
        assertEq(g.workId, workId);
        assertEq(g.termsId, termsId);
        assertEq(g.feeBps, 3_000);
        assertEq(g.perLoanPrice, 300);
        assertEq(g.loanPeriod, 14 days);
        vm.prank(hook);
        licensing.useCopy(id, library1, false);
        assertEq(licensing.licence(id).activeLoans, 2);
        vm.prank(hook);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingNoFreeCopy.selector, id, 2));
        licensing.useCopy(id, library1, false);
        vm.prank(hook);
        licensing.releaseCopy(id);
        assertEq(licensing.licence(id).activeLoans, 1);
        assertEq(licensing.licence(id).totalLoans, 2);
    }

    function test_useCopy_perpetualHasNoPerLoanPrice() public {
        uint256 termsId = _offer(workId, _termsInput(Licensing.TermsKind.PerpetualCopies, 5_000));
        uint256 id = _acquire(library1, workId, termsId, 1);
        vm.prank(hook);
        assertEq(licensing.useCopy(id, library1, false).perLoanPrice, 0);
    }

    function test_useCopy_reverts() public {
        Licensing.TermsInput memory t = _termsInput(Licensing.TermsKind.PerpetualCopies, 5_000);
        t.illAllowed = false;
        t.maxLoansPerCopy = 1;
        t.duration = 30 days;
        uint256 termsId = _offer(workId, t);
        uint256 id = _acquire(library1, workId, termsId, 1);

        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, library1, Roles.LEDGER));
        licensing.useCopy(id, library1, false);

        vm.startPrank(hook);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingUnknownLicence.selector, 5));
        licensing.useCopy(5, library1, false);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingNotLicenceHolder.selector, id, library2));
        licensing.useCopy(id, library2, false);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingIllNotAllowed.selector, id));
        licensing.useCopy(id, library1, true);
        licensing.useCopy(id, library1, false);
        licensing.releaseCopy(id);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicenceExhausted.selector, id));
        licensing.useCopy(id, library1, false);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingNoActiveLoan.selector, id));
        licensing.releaseCopy(id);
        vm.stopPrank();
        assertFalse(licensing.isLive(id));

        uint256 id2 = _acquire(library1, workId, termsId, 1);
        vm.warp(T0 + 30 days);
        vm.prank(hook);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingLicenceExpired.selector, id2, T0 + 30 days));
        licensing.useCopy(id2, library1, false);
    }

    function test_useCopy_revertsDisabledTermsAndRevokedWork() public {
        uint256 termsId = _offer(workId, _termsInput(Licensing.TermsKind.PerpetualCopies, 5_000));
        uint256 id = _acquire(library1, workId, termsId, 1);
        vm.prank(publisher1);
        licensing.setTermsEnabled(workId, termsId, false);
        vm.prank(hook);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingTermsNotEnabled.selector, workId, termsId));
        licensing.useCopy(id, library1, false);
        vm.prank(publisher1);
        licensing.setTermsEnabled(workId, termsId, true);
        _revoke(workId);
        vm.prank(hook);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingWorkRevoked.selector, workId));
        licensing.useCopy(id, library1, false);
    }

    function test_releaseCopy_revertsUnauthorized() public {
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, library1, Roles.LEDGER));
        licensing.releaseCopy(1);
    }

    function test_licence_revertsUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingUnknownLicence.selector, 1));
        licensing.licence(1);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicensingUnknownTerms.selector, 1));
        licensing.terms(1);
        assertFalse(licensing.isLive(1));
    }

    function testFuzz_acquire_paysPriceTimesCopies(uint96 price, uint256 copies, uint32 unitCopies) public {
        price = uint96(bound(price, 4, 1_000_000));
        copies = bound(copies, 1, 100);
        unitCopies = uint32(bound(unitCopies, 1, 600));
        Licensing.TermsInput memory t = _termsInput(Licensing.TermsKind.PerpetualCopies, price);
        t.copies = unitCopies;
        uint256 termsId = _offer(workId, t);
        uint256 id = _acquire(library1, workId, termsId, copies);
        uint256 gross = uint256(price) * copies;
        assertEq(credit.balanceOf(library1), START_CREDIT - gross);
        assertEq(royalties.balanceOf(platform), gross * 3_000 / 10_000);
        assertEq(
            royalties.balanceOf(platform) + royalties.balanceOf(publisher1) + royalties.balanceOf(publisher2), gross
        );
        assertEq(licensing.licence(id).copies, copies * unitCopies);
    }

    // ------------------------------------------------------------------ helpers

    function _pool(uint128 amount) internal returns (uint256 poolId) {
        vm.prank(sponsor);
        poolId = pools.createPool(amount, T0 + 10_000 days, 0, new uint256[](0), new address[](0));
    }

    function _revoke(uint256 id) internal {
        vm.prank(library2);
        uint256 d = works.openDispute(id, "ipfs://evidence");
        vm.warp(block.timestamp + 48 hours + 1);
        (address[] memory p, uint16[] memory b) = _one(library2);
        vm.prank(governor);
        works.resolveDispute(d, Works.Ruling.Revoke, library2, p, b, "ipfs://ruling");
    }
}
