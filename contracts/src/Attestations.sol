// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Consortium} from "./Consortium.sol";
import {ConsortiumGuarded} from "./access/ConsortiumGuarded.sol";
import {Roles} from "./access/Roles.sol";

/// @title Attestations — auditors anchor the hash of a signed audit report on chain.
/// @notice The report itself (signed JSON, PDF) stays off chain; its SHA-256 and URI are
/// recorded with the subject it concerns, so it appears in that work's or library's provenance
/// trail and anyone can check a report file against the chain.
contract Attestations is ConsortiumGuarded {
    /// What a report is about.
    enum Subject {
        Work, // subjectId = workId
        Library, // subjectId = uint160(library address)
        Period, // subjectId = yyyymm, e.g. 202610
        Deployment // subjectId = 0: the whole ledger
    }

    struct Attestation {
        address auditor;
        uint64 anchoredAt;
        Subject subject;
        uint256 subjectId;
        bytes32 reportHash;
        string reportURI;
    }

    uint256 public constant MAX_URI_BYTES = 256;

    Attestation[] private _attestations;
    mapping(bytes32 reportHash => uint256 idPlusOne) private _byHash;

    error AttestationsDuplicateReport(bytes32 reportHash, uint256 attestationId);
    error AttestationsEmptyHash();
    error AttestationsUriTooLong(uint256 length, uint256 maxLength);
    error AttestationsUnknown(uint256 attestationId);

    event ReportAnchored(
        uint256 indexed attestationId,
        address indexed auditor,
        Subject indexed subject,
        uint256 subjectId,
        bytes32 reportHash,
        string reportURI
    );

    constructor(Consortium consortium_) ConsortiumGuarded(consortium_) {}

    /// @notice An auditor anchors the SHA-256 of a signed report about `subject`/`subjectId`.
    /// @return attestationId sequential from 1.
    function anchor(Subject subject, uint256 subjectId, bytes32 reportHash, string calldata reportURI)
        external
        onlyRole(Roles.AUDITOR)
        whenNotPaused
        returns (uint256 attestationId)
    {
        if (reportHash == bytes32(0)) revert AttestationsEmptyHash();
        if (bytes(reportURI).length > MAX_URI_BYTES) {
            revert AttestationsUriTooLong(bytes(reportURI).length, MAX_URI_BYTES);
        }
        uint256 existing = _byHash[reportHash];
        if (existing != 0) revert AttestationsDuplicateReport(reportHash, existing);
        _attestations.push(
            Attestation(msg.sender, uint64(block.timestamp), subject, subjectId, reportHash, reportURI)
        );
        attestationId = _attestations.length;
        _byHash[reportHash] = attestationId;
        emit ReportAnchored(attestationId, msg.sender, subject, subjectId, reportHash, reportURI);
    }

    function attestation(uint256 attestationId) external view returns (Attestation memory) {
        if (attestationId == 0 || attestationId > _attestations.length) revert AttestationsUnknown(attestationId);
        return _attestations[attestationId - 1];
    }

    /// @notice The attestation id of `reportHash`, or 0 when it was never anchored.
    function attestationOf(bytes32 reportHash) external view returns (uint256) {
        return _byHash[reportHash];
    }

    function attestationCount() external view returns (uint256) {
        return _attestations.length;
    }
}
