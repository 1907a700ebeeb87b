// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {LedgerFixture} from "./utils/LedgerFixture.sol";
import {Works} from "../src/Works.sol";
import {ConsortiumGuarded} from "../src/access/ConsortiumGuarded.sol";
import {Roles} from "../src/access/Roles.sol";

contract WorksTest is LedgerFixture {
    string internal constant URI = "ipfs://bafkreimeta";

    event WorkRegistered(
        uint256 indexed workId, bytes32 indexed contentHash, address indexed holder, bytes isccCode, string metadataURI
    );
    event PayeesSet(uint256 indexed workId, address[] payees, uint16[] bps);
    event DisputeOpened(uint256 indexed disputeId, uint256 indexed workId, address indexed claimant, uint256 respondBy, string evidenceURI);

    // ------------------------------------------------------------------ registerWork

    function test_registerWork_assignsSequentialIdsAndStores() public {
        (address[] memory p, uint16[] memory b) = _two(publisher1, 6_000, publisher2);
        vm.expectEmit(true, true, true, true, address(works));
        emit WorkRegistered(1, _hash(1), publisher1, _iscc(1), URI);
        vm.expectEmit(true, true, true, true, address(works));
        emit PayeesSet(1, p, b);
        vm.prank(publisher1);
        uint256 id1 = works.registerWork(_hash(1), _iscc(1), URI, p, b);
        uint256 id2 = _registerWork(2);
        assertEq(id1, 1);
        assertEq(id2, 2);
        assertEq(works.workCount(), 2);
        assertEq(works.workIdOf(_hash(1)), 1);
        assertEq(works.workIdOf(_hash(99)), 0);
        Works.WorkView memory w = works.work(1);
        assertEq(w.workId, 1);
        assertEq(w.contentHash, _hash(1));
        assertEq(w.holder, publisher1);
        assertTrue(w.status == Works.WorkStatus.Active);
        assertEq(w.payeeCount, 2);
        assertEq(w.registeredAt, T0);
        assertEq(w.lastDisputeId, 0);
        assertEq(w.revokedTo, address(0));
        (address[] memory accounts, uint16[] memory bps) = works.payees(1);
        assertEq(accounts, p);
        assertEq(bps[0], 6_000);
        assertEq(bps[1], 4_000);
        assertEq(works.holderOf(1), publisher1);
    }

    function test_registerWork_revertsWorkAlreadyRegistered() public {
        _registerWork(1);
        (address[] memory p, uint16[] memory b) = _one(publisher2);
        vm.prank(publisher2);
        vm.expectRevert(abi.encodeWithSelector(Works.WorkAlreadyRegistered.selector, 1));
        works.registerWork(_hash(1), _iscc(7), URI, p, b);
    }

    function test_registerWork_revertsUnauthorized() public {
        (address[] memory p, uint16[] memory b) = _one(library1);
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, library1, Roles.PUBLISHER));
        works.registerWork(_hash(1), _iscc(1), URI, p, b);
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, outsider, Roles.PUBLISHER));
        works.registerWork(_hash(1), _iscc(1), URI, p, b);
    }

    function test_registerWork_revertsWhenPublisherSuspended() public {
        vm.prank(governor);
        consortium.suspend(publisher1, "unpaid dues");
        (address[] memory p, uint16[] memory b) = _one(publisher1);
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, publisher1, Roles.PUBLISHER));
        works.registerWork(_hash(1), _iscc(1), URI, p, b);
    }

    function test_registerWork_revertsWhenPaused() public {
        vm.prank(governor);
        works.pause();
        (address[] memory p, uint16[] memory b) = _one(publisher1);
        vm.prank(publisher1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        works.registerWork(_hash(1), _iscc(1), URI, p, b);
    }

    function test_pause_revertsForNonGovernor() public {
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, publisher1, Roles.GOVERNOR));
        works.pause();
    }

    function test_registerWork_revertsBadInputs() public {
        (address[] memory p, uint16[] memory b) = _one(publisher1);
        vm.startPrank(publisher1);
        vm.expectRevert(Works.WorksZeroContentHash.selector);
        works.registerWork(bytes32(0), _iscc(1), URI, p, b);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksInvalidIscc.selector, 7));
        works.registerWork(_hash(1), new bytes(7), URI, p, b);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksInvalidIscc.selector, 33));
        works.registerWork(_hash(1), new bytes(33), URI, p, b);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksInvalidUri.selector, 0, 256));
        works.registerWork(_hash(1), _iscc(1), "", p, b);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksInvalidUri.selector, 257, 256));
        works.registerWork(_hash(1), _iscc(1), string(new bytes(257)), p, b);
        vm.stopPrank();
    }

    function test_registerWork_revertsBadPayees() public {
        vm.startPrank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksPayeeCount.selector, 0, 16));
        works.registerWork(_hash(1), _iscc(1), URI, new address[](0), new uint16[](0));

        address[] memory many = new address[](17);
        uint16[] memory manyBps = new uint16[](17);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksPayeeCount.selector, 17, 16));
        works.registerWork(_hash(1), _iscc(1), URI, many, manyBps);

        (address[] memory p, uint16[] memory b) = _two(publisher1, 5_000, publisher2);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksPayeeLengthMismatch.selector, 2, 1));
        works.registerWork(_hash(1), _iscc(1), URI, p, new uint16[](1));

        p[1] = address(0);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksZeroPayee.selector, 1));
        works.registerWork(_hash(1), _iscc(1), URI, p, b);

        p[1] = publisher2;
        b[0] = 10_000;
        b[1] = 0;
        vm.expectRevert(abi.encodeWithSelector(Works.WorksZeroShare.selector, 1));
        works.registerWork(_hash(1), _iscc(1), URI, p, b);

        b[0] = 5_000;
        b[1] = 4_999;
        vm.expectRevert(abi.encodeWithSelector(Works.PayeeSharesNotTenThousand.selector, 9_999));
        works.registerWork(_hash(1), _iscc(1), URI, p, b);
        vm.stopPrank();
    }

    function test_registerWork_sixteenPayees() public {
        address[] memory p = new address[](16);
        uint16[] memory b = new uint16[](16);
        for (uint256 i = 0; i < 16; ++i) {
            p[i] = address(uint160(0x1000 + i));
            b[i] = 625;
        }
        vm.prank(publisher1);
        uint256 id = works.registerWork(_hash(1), _iscc(1), URI, p, b);
        (address[] memory got,) = works.payees(id);
        assertEq(got, p);
    }

    function testFuzz_registerWork_bpsMustSumToTenThousand(uint16 a, uint16 b, uint16 c) public {
        a = uint16(bound(a, 1, 10_000));
        b = uint16(bound(b, 1, 10_000));
        c = uint16(bound(c, 1, 10_000));
        address[] memory p = new address[](3);
        p[0] = publisher1;
        p[1] = publisher2;
        p[2] = library1;
        uint16[] memory bps = new uint16[](3);
        bps[0] = a;
        bps[1] = b;
        bps[2] = c;
        uint256 sum = uint256(a) + b + c;
        vm.prank(publisher1);
        if (sum != 10_000) vm.expectRevert(abi.encodeWithSelector(Works.PayeeSharesNotTenThousand.selector, sum));
        works.registerWork(_hash(1), _iscc(1), URI, p, bps);
    }

    function testFuzz_registerWork_uniqueByContentHash(bytes32 h, uint8 n) public {
        vm.assume(h != bytes32(0));
        n = uint8(bound(n, 1, 5));
        (address[] memory p, uint16[] memory b) = _one(publisher1);
        vm.prank(publisher1);
        uint256 first = works.registerWork(h, _iscc(1), URI, p, b);
        for (uint256 i = 0; i < n; ++i) {
            vm.prank(publisher2);
            vm.expectRevert(abi.encodeWithSelector(Works.WorkAlreadyRegistered.selector, first));
            works.registerWork(h, _iscc(i), URI, p, b);
        }
        assertEq(works.workIdOf(h), first);
    }

    // ------------------------------------------------------------------ holder actions

    function test_setPayees_byHolder() public {
        uint256 id = _registerWork(1);
        (address[] memory p, uint16[] memory b) = _one(publisher2);
        vm.prank(publisher1);
        works.setPayees(id, p, b);
        (address[] memory got, uint16[] memory bps) = works.payees(id);
        assertEq(got, p);
        assertEq(bps[0], 10_000);
        assertEq(works.work(id).payeeCount, 1);
    }

    function test_setPayees_revertsNotHolder() public {
        uint256 id = _registerWork(1);
        (address[] memory p, uint16[] memory b) = _one(publisher2);
        vm.prank(publisher2);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksNotHolder.selector, id, publisher2));
        works.setPayees(id, p, b);
    }

    function test_setPayees_revertsUnknownWork() public {
        (address[] memory p, uint16[] memory b) = _one(publisher2);
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksUnknownWork.selector, 9));
        works.setPayees(9, p, b);
    }

    function test_setPayees_revertsWhileDisputed() public {
        uint256 id = _registerWork(1);
        vm.prank(library1);
        works.openDispute(id, "ipfs://evidence");
        (address[] memory p, uint16[] memory b) = _one(publisher2);
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksWrongStatus.selector, id, Works.WorkStatus.Disputed));
        works.setPayees(id, p, b);
    }

    function test_transferRights() public {
        uint256 id = _registerWork(1);
        (address[] memory p, uint16[] memory b) = _one(publisher2);
        vm.prank(publisher1);
        works.transferRights(id, publisher2, p, b);
        assertEq(works.holderOf(id), publisher2);
        (address[] memory got,) = works.payees(id);
        assertEq(got, p);
        // the old holder lost its rights
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksNotHolder.selector, id, publisher1));
        works.updateMetadata(id, URI);
    }

    function test_transferRights_revertsNewHolderNotPublisher() public {
        uint256 id = _registerWork(1);
        (address[] memory p, uint16[] memory b) = _one(library1);
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksNewHolderNotPublisher.selector, library1));
        works.transferRights(id, library1, p, b);
    }

    function test_updateMetadata() public {
        uint256 id = _registerWork(1);
        vm.prank(publisher1);
        works.updateMetadata(id, "ipfs://bafkreinew");
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksInvalidUri.selector, 0, 256));
        works.updateMetadata(id, "");
    }

    // ------------------------------------------------------------------ disputes

    function test_openDispute() public {
        uint256 id = _registerWork(1);
        vm.expectEmit(true, true, true, true, address(works));
        emit DisputeOpened(1, id, library2, T0 + 48 hours, "ipfs://evidence");
        vm.prank(library2);
        uint256 d = works.openDispute(id, "ipfs://evidence");
        assertEq(d, 1);
        assertTrue(works.statusOf(id) == Works.WorkStatus.Disputed);
        Works.Dispute memory rec = works.dispute(d);
        assertEq(rec.workId, id);
        assertEq(rec.claimant, library2);
        assertEq(rec.respondBy, T0 + 48 hours);
        assertTrue(rec.status == Works.DisputeStatus.Open);
        assertEq(works.work(id).lastDisputeId, d);
        assertEq(works.disputeCount(), 1);
    }

    function test_openDispute_reverts() public {
        uint256 id = _registerWork(1);
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksNotMember.selector, outsider));
        works.openDispute(id, "ipfs://evidence");
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksUnknownWork.selector, 5));
        works.openDispute(5, "ipfs://evidence");
        vm.prank(library1);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksInvalidUri.selector, 0, 256));
        works.openDispute(id, "");
        vm.prank(library1);
        works.openDispute(id, "ipfs://evidence");
        vm.prank(auditor);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksWrongStatus.selector, id, Works.WorkStatus.Disputed));
        works.openDispute(id, "ipfs://evidence2");
    }

    function test_answerDispute() public {
        uint256 id = _registerWork(1);
        vm.prank(library1);
        uint256 d = works.openDispute(id, "ipfs://evidence");
        vm.prank(publisher2);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksNotHolder.selector, id, publisher2));
        works.answerDispute(d, "ipfs://answer");
        vm.prank(publisher1);
        works.answerDispute(d, "ipfs://answer");
        assertTrue(works.dispute(d).responded);
    }

    function test_answerDispute_revertsAfterDeadline() public {
        uint256 id = _registerWork(1);
        vm.prank(library1);
        uint256 d = works.openDispute(id, "ipfs://evidence");
        vm.warp(T0 + 48 hours + 1);
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksResponseDeadlinePassed.selector, d, T0 + 48 hours));
        works.answerDispute(d, "ipfs://answer");
    }

    function test_answerDispute_revertsUnknownAndClosed() public {
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksUnknownDispute.selector, 3));
        works.answerDispute(3, "ipfs://answer");
        uint256 d = _openAndAnswer(_registerWork(1));
        _resolve(d, Works.Ruling.Uphold, address(0));
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksDisputeClosed.selector, d));
        works.answerDispute(d, "ipfs://answer");
    }

    function test_resolveDispute_revertsAwaitingResponse() public {
        uint256 id = _registerWork(1);
        vm.prank(library1);
        uint256 d = works.openDispute(id, "ipfs://evidence");
        (address[] memory p, uint16[] memory b) = _one(publisher2);
        vm.prank(governor);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksAwaitingResponse.selector, d, T0 + 48 hours));
        works.resolveDispute(d, Works.Ruling.Uphold, address(0), p, b, "ipfs://ruling");
        // the deadline passing without an answer opens the way
        vm.warp(T0 + 48 hours + 1);
        vm.prank(governor);
        works.resolveDispute(d, Works.Ruling.Uphold, address(0), p, b, "ipfs://ruling");
        assertTrue(works.statusOf(id) == Works.WorkStatus.Active);
    }

    function test_resolveDispute_revertsNonGovernor() public {
        uint256 d = _openAndAnswer(_registerWork(1));
        (address[] memory p, uint16[] memory b) = _one(publisher2);
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, publisher1, Roles.GOVERNOR));
        works.resolveDispute(d, Works.Ruling.Uphold, address(0), p, b, "ipfs://ruling");
    }

    function test_resolveDispute_uphold() public {
        uint256 id = _registerWork(1);
        uint256 d = _openAndAnswer(id);
        _resolve(d, Works.Ruling.Uphold, address(0));
        assertTrue(works.statusOf(id) == Works.WorkStatus.Active);
        assertEq(works.holderOf(id), publisher1);
        Works.Dispute memory rec = works.dispute(d);
        assertTrue(rec.status == Works.DisputeStatus.Resolved);
        assertTrue(rec.ruling == Works.Ruling.Uphold);
        assertEq(rec.resolvedAt, T0);
    }

    function test_resolveDispute_transfer() public {
        uint256 id = _registerWork(1);
        uint256 d = _openAndAnswer(id);
        _resolve(d, Works.Ruling.Transfer, publisher2);
        assertTrue(works.statusOf(id) == Works.WorkStatus.Active);
        assertEq(works.holderOf(id), publisher2);
        (address[] memory got,) = works.payees(id);
        assertEq(got[0], publisher2);
        assertEq(works.dispute(d).beneficiary, publisher2);
    }

    function test_resolveDispute_transferRevertsNonPublisher() public {
        uint256 d = _openAndAnswer(_registerWork(1));
        (address[] memory p, uint16[] memory b) = _one(publisher2);
        vm.prank(governor);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksNewHolderNotPublisher.selector, library1));
        works.resolveDispute(d, Works.Ruling.Transfer, library1, p, b, "ipfs://ruling");
    }

    function test_resolveDispute_revoke() public {
        uint256 id = _registerWork(1);
        uint256 d = _openAndAnswer(id);
        _resolve(d, Works.Ruling.Revoke, library1);
        assertTrue(works.statusOf(id) == Works.WorkStatus.Revoked);
        assertEq(works.work(id).revokedTo, library1);
        (Works.WorkStatus s, address[] memory accounts, uint16[] memory bps) = works.payout(id);
        assertTrue(s == Works.WorkStatus.Revoked);
        assertEq(accounts[0], library1);
        assertEq(bps[0], 10_000);
        // a revoked work cannot be disputed or changed again
        vm.prank(library2);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksWrongStatus.selector, id, Works.WorkStatus.Revoked));
        works.openDispute(id, "ipfs://evidence");
    }

    function test_resolveDispute_revokeRevertsZeroBeneficiary() public {
        uint256 d = _openAndAnswer(_registerWork(1));
        (address[] memory p, uint16[] memory b) = _one(publisher2);
        vm.prank(governor);
        vm.expectRevert(Works.WorksZeroBeneficiary.selector);
        works.resolveDispute(d, Works.Ruling.Revoke, address(0), p, b, "ipfs://ruling");
    }

    function test_resolveDispute_revertsRulingNone() public {
        uint256 d = _openAndAnswer(_registerWork(1));
        (address[] memory p, uint16[] memory b) = _one(publisher2);
        vm.prank(governor);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksInvalidRuling.selector, Works.Ruling.None));
        works.resolveDispute(d, Works.Ruling.None, address(0), p, b, "ipfs://ruling");
    }

    function test_setResponseWindow() public {
        vm.prank(governor);
        works.setResponseWindow(24 hours);
        assertEq(works.responseWindow(), 24 hours);
        uint256 id = _registerWork(1);
        vm.prank(library1);
        uint256 d = works.openDispute(id, "ipfs://evidence");
        assertEq(works.dispute(d).respondBy, T0 + 24 hours);
    }

    function test_setResponseWindow_reverts() public {
        vm.startPrank(governor);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksInvalidResponseWindow.selector, 59 minutes));
        works.setResponseWindow(59 minutes);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksInvalidResponseWindow.selector, 31 days));
        works.setResponseWindow(31 days);
        vm.stopPrank();
        vm.prank(publisher1);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, publisher1, Roles.GOVERNOR));
        works.setResponseWindow(24 hours);
    }

    function test_views_revertUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(Works.WorksUnknownWork.selector, 1));
        works.work(1);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksUnknownWork.selector, 1));
        works.payees(1);
        vm.expectRevert(abi.encodeWithSelector(Works.WorksUnknownDispute.selector, 1));
        works.dispute(1);
        assertTrue(works.statusOf(1) == Works.WorkStatus.None);
    }

    // ------------------------------------------------------------------ helpers

    function _openAndAnswer(uint256 id) internal returns (uint256 d) {
        vm.prank(library1);
        d = works.openDispute(id, "ipfs://evidence");
        vm.prank(publisher1);
        works.answerDispute(d, "ipfs://answer");
    }

    function _resolve(uint256 d, Works.Ruling ruling, address beneficiary) internal {
        (address[] memory p, uint16[] memory b) = _one(beneficiary == address(0) ? publisher1 : beneficiary);
        vm.prank(governor);
        works.resolveDispute(d, ruling, beneficiary, p, b, "ipfs://ruling");
    }
}
