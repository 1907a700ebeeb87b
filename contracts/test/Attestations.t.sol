// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ConsortiumBase} from "./utils/ConsortiumBase.sol";
import {Attestations} from "../src/Attestations.sol";
import {ConsortiumGuarded} from "../src/access/ConsortiumGuarded.sol";
import {Roles} from "../src/access/Roles.sol";

contract AttestationsTest is ConsortiumBase {
    Attestations internal att;

    event ReportAnchored(
        uint256 indexed attestationId,
        address indexed auditor,
        Attestations.Subject indexed subject,
        uint256 subjectId,
        bytes32 reportHash,
        string reportURI
    );

    function setUp() public override {
        super.setUp();
        att = new Attestations(consortium);
    }

    function test_anchor_recordsAndEmits() public {
        bytes32 h = keccak256("report-1");
        vm.expectEmit(address(att));
        emit ReportAnchored(1, auditor, Attestations.Subject.Work, 7, h, "ipfs://report1");
        vm.prank(auditor);
        uint256 id = att.anchor(Attestations.Subject.Work, 7, h, "ipfs://report1");
        vm.assertEq(id, 1, "id");
        Attestations.Attestation memory a = att.attestation(1);
        vm.assertEq(a.auditor, auditor, "a.auditor");
        vm.assertEq(a.subjectId, 7, "a.subjectId");
        vm.assertEq(a.reportHash, h, "a.reportHash");
        vm.assertEq(att.attestationOf(h), 1, "att.attestationOf(h)");
        vm.assertEq(att.attestationCount(), 1, "att.attestationCount()");
    }

    function test_duplicateReport_reverts() public {
        bytes32 h = keccak256("r");
        vm.prank(auditor);
        att.anchor(Attestations.Subject.Period, 202610, h, "");
        vm.prank(auditor);
        vm.expectRevert(abi.encodeWithSelector(Attestations.AttestationsDuplicateReport.selector, h, 1));
        att.anchor(Attestations.Subject.Period, 202610, h, "");
    }

    function test_emptyHash_and_longUri_revert() public {
        vm.startPrank(auditor);
        vm.expectRevert(Attestations.AttestationsEmptyHash.selector);
        att.anchor(Attestations.Subject.Work, 1, bytes32(0), "");
        bytes memory longUri = new bytes(257);
        vm.expectRevert(abi.encodeWithSelector(Attestations.AttestationsUriTooLong.selector, 257, 256));
        att.anchor(Attestations.Subject.Work, 1, keccak256("x"), string(longUri));
        vm.stopPrank();
    }

    function test_unknownAttestation_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Attestations.AttestationsUnknown.selector, 1));
        att.attestation(1);
    }

    function test_suspendedAuditor_cannotAnchor() public {
        vm.prank(governor);
        consortium.suspend(auditor, "audit licence lapsed");
        vm.prank(auditor);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, auditor, Roles.AUDITOR));
        att.anchor(Attestations.Subject.Work, 1, keccak256("x"), "");
    }

    function testFuzz_onlyAuditorsAnchor(address caller, bytes32 h) public {
        vm.assume(caller != auditor && h != bytes32(0));
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(ConsortiumGuarded.Unauthorized.selector, caller, Roles.AUDITOR));
        att.anchor(Attestations.Subject.Work, 1, h, "");
    }

    function test_paused_blocksAnchor() public {
        vm.prank(governor);
        att.pause();
        vm.prank(auditor);
        vm.expectRevert();
        att.anchor(Attestations.Subject.Work, 1, keccak256("x"), "");
    }
}
