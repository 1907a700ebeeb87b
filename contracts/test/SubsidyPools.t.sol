// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {LedgerFixture} from "./utils/LedgerFixture.sol";
import {Licensing} from "../src/Licensing.sol";
import {SubsidyPools} from "../src/SubsidyPools.sol";
import {ConsortiumGuarded} from "../src/access/ConsortiumGuarded.sol";
import {Roles} from "../src/access/Roles.sol";

contract SubsidyPoolsTest is LedgerFixture {
    uint40 internal constant EXPIRY = T0 + 90 days;
    uint256 internal workId;
    uint256 internal otherWork;
    uint256 internal termsId;

    function setUp() public override {
        _deployLedger();
        workId = _registerWork(1);
        otherWork = _registerWork(2);
        termsId = _offer(workId, _termsInput(Licensing.TermsKind.PerpetualCopies, 10_000));
        vm.prank(publisher1);
        licensing.attachTerms(otherWork, termsId);
    }

    function _create(uint128 amount, uint128 cap, uint256[] memory ws, address[] memory libs)
        internal
        returns (uint256 poolId)
    {
        vm.prank(sponsor);
        poolId = pools.createPool(amount, EXPIRY, cap, ws, libs);
    }

    function _list(uint256 a) internal pure returns (uint256[] memory l) {
        l = new uint256[](1);
        l[0] = a;
    }

    function _libs(address a) internal pure returns (address[] memory l) {
        l = new address[](1);
        l[0] = a;
    }

    function _buy(address lib, uint256 w, uint256 poolId) internal returns (uint256) {
        vm.prank(lib);
        return licensing.acquireWithPool(w, termsId, 1, poolId);
    }

    function test_createPool() public {
        uint256 poolId = _create(50_000, 20_000, _list(workId), new address[](0));
        assertEq(poolId, 1);
        SubsidyPools.Pool memory p = pools.pool(poolId);
        assertEq(p.sponsor, sponsor);
        assertEq(p.expiry, EXPIRY);
        assertFalse(p.allWorks);
        assertTrue(p.allLibraries);
        assertEq(p.balance, 50_000);
        assertEq(p.funded, 50_000);
        assertEq(p.perLibraryCap, 20_000);
        assertEq(credit.balanceOf(address(pools)), 50_000);
        assertEq(credit.balanceOf(sponsor), START_CREDIT - 50_000);
        assertTrue(pools.isWorkEligible(poolId, workId));
        assertFalse(pools.isWorkEligible(poolId, otherWork));
        assertTrue(pools.isLibraryEligible(poolId, library3));
        assertEq(pools.poolCount(), 1);
    }

    function test_createPool_reverts() public {
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, library1, Roles.SPONSOR));
        pools.createPool(1, EXPIRY, 0, new uint256[](0), new address[](0));
        vm.startPrank(sponsor);
        vm.expectRevert(SubsidyPools.SubsidyPoolsZeroAmount.selector);
        pools.createPool(0, EXPIRY, 0, new uint256[](0), new address[](0));
        vm.expectRevert(abi.encodeWithSelector(SubsidyPools.SubsidyPoolsExpiryInPast.selector, T0, T0));
        pools.createPool(1, T0, 0, new uint256[](0), new address[](0));
        vm.expectRevert(abi.encodeWithSelector(SubsidyPools.SubsidyPoolsTooManyItems.selector, 65, 64));
        pools.createPool(1, EXPIRY, 0, new uint256[](65), new address[](0));
        vm.stopPrank();
    }

    function test_purchaseDrawsSeventyPercent() public {
        uint256 poolId = _create(50_000, 0, new uint256[](0), new address[](0));
        _buy(library1, workId, poolId);
        assertEq(credit.balanceOf(library1), START_CREDIT - 3_000);
        assertEq(pools.pool(poolId).balance, 43_000);
        assertEq(pools.pool(poolId).drawn, 7_000);
        assertEq(pools.drawnBy(poolId, library1), 7_000);
        assertEq(royalties.balanceOf(platform), 3_000);
        assertEq(credit.balanceOf(address(pools)), 43_000);
    }

    function test_draw_revertsIneligibleWorkAndLibrary() public {
        uint256 poolId = _create(50_000, 0, _list(workId), _libs(library1));
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(SubsidyPools.SubsidyPoolsWorkNotEligible.selector, poolId, otherWork));
        licensing.acquireWithPool(otherWork, termsId, 1, poolId);
        vm.prank(library2);
        vm.expectRevert(abi.encodeWithSelector(SubsidyPools.SubsidyPoolsLibraryNotEligible.selector, poolId, library2));
        licensing.acquireWithPool(workId, termsId, 1, poolId);
        // the sponsor widens the rules
        vm.startPrank(sponsor);
        pools.addEligibleWorks(poolId, _list(otherWork));
        pools.addEligibleLibraries(poolId, _libs(library2));
        vm.stopPrank();
        _buy(library2, otherWork, poolId);
    }

    function test_draw_revertsCapExceeded() public {
        uint256 poolId = _create(50_000, 10_000, new uint256[](0), new address[](0));
        _buy(library1, workId, poolId);
        vm.prank(library1);
        vm.expectRevert(
            abi.encodeWithSelector(SubsidyPools.SubsidyPoolsCapExceeded.selector, poolId, library1, 7_000, 7_000, 10_000)
        );
        licensing.acquireWithPool(workId, termsId, 1, poolId);
        _buy(library2, workId, poolId); // the cap is per library
    }

    function test_draw_revertsInsufficientFunds() public {
        uint256 poolId = _create(10_000, 0, new uint256[](0), new address[](0));
        _buy(library1, workId, poolId);
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(SubsidyPools.SubsidyPoolsInsufficientFunds.selector, poolId, 3_000, 7_000));
        licensing.acquireWithPool(workId, termsId, 1, poolId);
    }

    function test_draw_revertsExpiredAndUnknown() public {
        uint256 poolId = _create(10_000, 0, new uint256[](0), new address[](0));
        vm.warp(EXPIRY);
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(SubsidyPools.SubsidyPoolsExpired.selector, poolId, EXPIRY));
        licensing.acquireWithPool(workId, termsId, 1, poolId);
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(SubsidyPools.SubsidyPoolsUnknownPool.selector, 7));
        licensing.acquireWithPool(workId, termsId, 1, 7);
    }

    function test_draw_revertsUnauthorized() public {
        uint256 poolId = _create(10_000, 0, new uint256[](0), new address[](0));
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, library1, Roles.LEDGER));
        pools.draw(poolId, library1, workId, 10_000, library1);
    }

    function test_fund() public {
        uint256 poolId = _create(10_000, 0, new uint256[](0), new address[](0));
        vm.prank(sponsor);
        pools.fund(poolId, 5_000);
        assertEq(pools.pool(poolId).balance, 15_000);
        assertEq(pools.pool(poolId).funded, 15_000);
        vm.prank(sponsor);
        vm.expectRevert(SubsidyPools.SubsidyPoolsZeroAmount.selector);
        pools.fund(poolId, 0);
        vm.prank(sponsor);
        vm.expectRevert(abi.encodeWithSelector(SubsidyPools.SubsidyPoolsAmountTooLarge.selector, type(uint128).max));
        pools.fund(poolId, type(uint128).max);
        vm.warp(EXPIRY);
        vm.prank(sponsor);
        vm.expectRevert(abi.encodeWithSelector(SubsidyPools.SubsidyPoolsExpired.selector, poolId, EXPIRY));
        pools.fund(poolId, 1);
    }

    function test_fund_revertsNotSponsor() public {
        uint256 poolId = _create(10_000, 0, new uint256[](0), new address[](0));
        bytes32[] memory roles = new bytes32[](1);
        roles[0] = Roles.SPONSOR;
        address other = makeAddr("otherSponsor");
        vm.prank(governor);
        consortium.admit(other, "ENT-01", "an enterprise", roles);
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(SubsidyPools.SubsidyPoolsNotSponsor.selector, poolId, other));
        pools.fund(poolId, 1);
    }

    function test_addEligible_revertsOpenToAll() public {
        uint256 poolId = _create(10_000, 0, new uint256[](0), new address[](0));
        vm.startPrank(sponsor);
        vm.expectRevert(abi.encodeWithSelector(SubsidyPools.SubsidyPoolsOpenToAll.selector, poolId));
        pools.addEligibleWorks(poolId, _list(workId));
        vm.expectRevert(abi.encodeWithSelector(SubsidyPools.SubsidyPoolsOpenToAll.selector, poolId));
        pools.addEligibleLibraries(poolId, _libs(library1));
        vm.stopPrank();
    }

    function test_reclaim() public {
        uint256 poolId = _create(50_000, 0, new uint256[](0), new address[](0));
        _buy(library1, workId, poolId);
        vm.expectRevert(abi.encodeWithSelector(SubsidyPools.SubsidyPoolsNotExpired.selector, poolId, EXPIRY));
        pools.reclaim(poolId);
        vm.warp(EXPIRY);
        vm.prank(outsider); // anyone may trigger the return
        uint256 amount = pools.reclaim(poolId);
        assertEq(amount, 43_000);
        assertEq(credit.balanceOf(sponsor), START_CREDIT - 7_000);
        assertEq(credit.balanceOf(address(pools)), 0);
        vm.expectRevert(abi.encodeWithSelector(SubsidyPools.SubsidyPoolsAlreadyReclaimed.selector, poolId));
        pools.reclaim(poolId);
    }

    function testFuzz_subsidyIsSeventyPercentFloored(uint96 price) public {
        price = uint96(bound(price, 4, 100_000_00));
        Licensing.TermsInput memory t = _termsInput(Licensing.TermsKind.PerpetualCopies, price);
        t.maxLoansPerCopy = 26; // distinct from the terms of setUp
        uint256 tId = _offer(workId, t);
        uint256 poolId = _create(uint128(START_CREDIT), 0, new uint256[](0), new address[](0));
        vm.prank(library1);
        licensing.acquireWithPool(workId, tId, 1, poolId);
        uint256 subsidy = uint256(price) * 7_000 / 10_000;
        assertEq(pools.pool(poolId).drawn, subsidy);
        assertEq(credit.balanceOf(library1), START_CREDIT - (price - subsidy));
        assertEq(credit.balanceOf(address(royalties)), price);
    }
}
