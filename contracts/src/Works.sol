// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Consortium} from "./Consortium.sol";
import {ConsortiumGuarded} from "./access/ConsortiumGuarded.sol";
import {Roles} from "./access/Roles.sol";

/// @title Works — the rights registry: who holds a work and who shares its royalties.
/// @notice A publisher registers a work under the SHA-256 of its canonical file; the first
/// registrant holds it for good (a second attempt reverts with the existing workId). The
/// holder side of every payment is shared among up to 16 payees by basis points (sum 10,000).
/// Disputes: any active member opens one with an evidence URI; the holder may answer before a
/// deadline; while open, the work's royalties go to escrow (in Royalties); the governor rules
/// (uphold, transfer, revoke) and Royalties releases the escrow to whom the ruling names.
/// @dev Storage is laid out for gas: one slot per work keyed by content hash, one slot for
/// workId → content hash, one slot per payee. The ISCC code and metadata URI live in events only
/// (the indexer mirrors them); the chain keeps the unique key (content hash) and the money facts.
contract Works is ConsortiumGuarded {
    enum WorkStatus {
        None,
        Active,
        Disputed,
        Revoked
    }

    enum DisputeStatus {
        None,
        Open,
        Resolved
    }

    enum Ruling {
        None,
        Uphold, // holder keeps the rights; escrow to the current payees
        Transfer, // rights go to the named holder with new payees; escrow to them
        Revoke // the work is revoked; escrow to the named beneficiary
    }

    /// One slot: everything a payment or a holder check needs.
    struct Record {
        uint40 workId;
        address holder;
        WorkStatus status;
        uint8 payeeCount;
        uint40 registeredAt;
    }

    struct Payee {
        address account;
        uint16 bps;
    }

    /// What `work(workId)` returns.
    struct WorkView {
        uint256 workId;
        bytes32 contentHash;
        address holder;
        WorkStatus status;
        uint8 payeeCount;
        uint40 registeredAt;
        uint256 lastDisputeId;
        address revokedTo; // escrow beneficiary of a revoked work
    }

    struct Dispute {
        uint40 workId;
        address claimant;
        DisputeStatus status;
        Ruling ruling;
        bool responded;
        uint40 openedAt;
        uint40 respondBy;
        address beneficiary; // Transfer: the new holder; Revoke: who receives the escrow
        uint40 resolvedAt;
    }

    uint256 public constant MAX_PAYEES = 16;
    uint16 public constant TOTAL_BPS = 10_000;
    uint40 public constant DEFAULT_RESPONSE_WINDOW = 48 hours;
    uint256 public constant MAX_ISCC_BYTES = 32;
    uint256 public constant MIN_ISCC_BYTES = 8;
    uint256 public constant MAX_URI_BYTES = 256;

    mapping(bytes32 contentHash => Record) private _records;
    mapping(uint256 workId => bytes32) private _contentHashOf;
    mapping(uint256 workId => mapping(uint256 index => Payee)) private _payees;
    mapping(uint256 workId => uint256) private _lastDispute;
    mapping(uint256 disputeId => Dispute) private _disputes;
    uint256 private _workCount;
    uint256 private _disputeCount;
    uint40 private _responseWindow = DEFAULT_RESPONSE_WINDOW;

    /// `contentHash` is already registered as `workId`.
    error WorkAlreadyRegistered(uint256 workId);
    /// The payees' basis points add up to `sum`, not 10,000.
    error PayeeSharesNotTenThousand(uint256 sum);
    error WorksUnknownWork(uint256 workId);
    error WorksZeroContentHash();
    error WorksInvalidIscc(uint256 length);
    error WorksInvalidUri(uint256 length, uint256 maxLength);
    error WorksPayeeCount(uint256 count, uint256 maxCount);
    error WorksPayeeLengthMismatch(uint256 payees, uint256 bps);
    error WorksZeroPayee(uint256 index);
    error WorksZeroShare(uint256 index);
    error WorksNotHolder(uint256 workId, address account);
    error WorksWrongStatus(uint256 workId, WorkStatus status);
    error WorksNewHolderNotPublisher(address account);
    error WorksNotMember(address account);
    error WorksUnknownDispute(uint256 disputeId);
    error WorksDisputeClosed(uint256 disputeId);
    error WorksResponseDeadlinePassed(uint256 disputeId, uint256 respondBy);
    error WorksAwaitingResponse(uint256 disputeId, uint256 respondBy);
    error WorksInvalidRuling(Ruling ruling);
    error WorksZeroBeneficiary();
    error WorksInvalidResponseWindow(uint256 window);
    error WorksIdOverflow(uint256 id);

    event WorkRegistered(
        uint256 indexed workId, bytes32 indexed contentHash, address indexed holder, bytes isccCode, string metadataURI
    );
    event PayeesSet(uint256 indexed workId, address[] payees, uint16[] bps);
    event RightsTransferred(uint256 indexed workId, address indexed from, address indexed to);
    event MetadataUpdated(uint256 indexed workId, string metadataURI);
    event DisputeOpened(uint256 indexed disputeId, uint256 indexed workId, address indexed claimant, uint256 respondBy, string evidenceURI);
    event DisputeAnswered(uint256 indexed disputeId, uint256 indexed workId, address indexed holder, string responseURI);
    event DisputeResolved(uint256 indexed disputeId, uint256 indexed workId, Ruling ruling, address beneficiary, string rulingURI);
    event WorkRevoked(uint256 indexed workId, address indexed escrowBeneficiary);
    event ResponseWindowSet(uint256 previous, uint256 current);

    constructor(Consortium consortium_) ConsortiumGuarded(consortium_) {}

    // ------------------------------------------------------------------ publisher actions

    /// @notice Registers a work; the caller becomes its holder.
    /// @param contentHash SHA-256 of the canonical file: the unique key.
    /// @param isccCode ISCC code (ISO 24138), 8–32 bytes; kept in the event for the mirror.
    /// @param metadataURI `ipfs://CID` of the metadata record; kept in the event for the mirror.
    /// @param payees_ who share the holder side of every payment (1–16 accounts).
    /// @param bps each payee's share in basis points, summing to 10,000; the first payee also
    /// receives the remainder of integer division.
    /// @return workId sequential id from 1.
    function registerWork(
        bytes32 contentHash,
        bytes calldata isccCode,
        string calldata metadataURI,
        address[] calldata payees_,
        uint16[] calldata bps
    ) external onlyRole(Roles.PUBLISHER) whenNotPaused returns (uint256 workId) {
        if (contentHash == bytes32(0)) revert WorksZeroContentHash();
        Record storage r = _records[contentHash];
        if (r.workId != 0) revert WorkAlreadyRegistered(r.workId);
        if (isccCode.length < MIN_ISCC_BYTES || isccCode.length > MAX_ISCC_BYTES) {
            revert WorksInvalidIscc(isccCode.length);
        }
        _checkUri(metadataURI);
        workId = _workCount + 1;
        if (workId > type(uint40).max) revert WorksIdOverflow(workId);
        _workCount = workId;
        // workId <= type(uint40).max (checked above)
        // forge-lint: disable-next-line(unsafe-typecast)
        r.workId = uint40(workId);
        r.holder = msg.sender;
        r.status = WorkStatus.Active;
        r.registeredAt = uint40(block.timestamp);
        r.payeeCount = _writePayees(workId, payees_, bps);
        _contentHashOf[workId] = contentHash;
        emit WorkRegistered(workId, contentHash, msg.sender, isccCode, metadataURI);
        emit PayeesSet(workId, payees_, bps);
    }

    /// @notice The holder replaces the payees of an active work.
    function setPayees(uint256 workId, address[] calldata payees_, uint16[] calldata bps)
        external
        onlyRole(Roles.PUBLISHER)
        whenNotPaused
    {
        Record storage r = _holderRecord(workId);
        r.payeeCount = _writePayees(workId, payees_, bps);
        emit PayeesSet(workId, payees_, bps);
    }

    /// @notice The holder transfers the rights of an active work to another publisher, with the
    /// payees that share its royalties from now on.
    function transferRights(uint256 workId, address newHolder, address[] calldata payees_, uint16[] calldata bps)
        external
        onlyRole(Roles.PUBLISHER)
        whenNotPaused
    {
        Record storage r = _holderRecord(workId);
        if (!_hasRole(Roles.PUBLISHER, newHolder)) revert WorksNewHolderNotPublisher(newHolder);
        r.holder = newHolder;
        r.payeeCount = _writePayees(workId, payees_, bps);
        emit RightsTransferred(workId, msg.sender, newHolder);
        emit PayeesSet(workId, payees_, bps);
    }

    /// @notice The holder points the work at a new metadata record (the content hash never changes).
    function updateMetadata(uint256 workId, string calldata metadataURI)
        external
        onlyRole(Roles.PUBLISHER)
        whenNotPaused
    {
        _holderRecord(workId);
        _checkUri(metadataURI);
        emit MetadataUpdated(workId, metadataURI);
    }

    // ------------------------------------------------------------------ disputes

    /// @notice Any active member opens a dispute over an active work; its royalties go to
    /// escrow until the governor rules.
    /// @return disputeId sequential id from 1.
    function openDispute(uint256 workId, string calldata evidenceURI)
        external
        whenNotPaused
        returns (uint256 disputeId)
    {
        if (!_consortium.isActiveMember(msg.sender)) revert WorksNotMember(msg.sender);
        _checkUri(evidenceURI);
        Record storage r = _record(workId);
        if (r.status != WorkStatus.Active) revert WorksWrongStatus(workId, r.status);
        r.status = WorkStatus.Disputed;
        disputeId = ++_disputeCount;
        uint40 respondBy = uint40(block.timestamp) + _responseWindow;
        // workId exists (checked by _record), so it is <= _workCount < 2^40
        _disputes[disputeId] = Dispute({
            // forge-lint: disable-next-line(unsafe-typecast)
            workId: uint40(workId),
            claimant: msg.sender,
            status: DisputeStatus.Open,
            ruling: Ruling.None,
            responded: false,
            openedAt: uint40(block.timestamp),
            respondBy: respondBy,
            beneficiary: address(0),
            resolvedAt: 0
        });
        _lastDispute[workId] = disputeId;
        emit DisputeOpened(disputeId, workId, msg.sender, respondBy, evidenceURI);
    }

    /// @notice The holder answers an open dispute before its deadline.
    function answerDispute(uint256 disputeId, string calldata responseURI)
        external
        onlyRole(Roles.PUBLISHER)
        whenNotPaused
    {
        Dispute storage d = _openDispute(disputeId);
        uint256 workId = d.workId;
        if (_record(workId).holder != msg.sender) revert WorksNotHolder(workId, msg.sender);
        if (block.timestamp > d.respondBy) revert WorksResponseDeadlinePassed(disputeId, d.respondBy);
        _checkUri(responseURI);
        d.responded = true;
        emit DisputeAnswered(disputeId, workId, msg.sender, responseURI);
    }

    /// @notice The governor rules on an open dispute once the holder answered or the deadline
    /// passed. Uphold: the holder keeps the work. Transfer: `beneficiary` becomes the holder
    /// with `payees`/`bps`. Revoke: the work is revoked for good and its escrow goes to
    /// `beneficiary`. Royalties.releaseEscrow then pays the escrow out accordingly.
    function resolveDispute(
        uint256 disputeId,
        Ruling ruling,
        address beneficiary,
        address[] calldata payees_,
        uint16[] calldata bps,
        string calldata rulingURI
    ) external onlyRole(Roles.GOVERNOR) whenNotPaused {
        Dispute storage d = _openDispute(disputeId);
        if (!d.responded && block.timestamp <= d.respondBy) revert WorksAwaitingResponse(disputeId, d.respondBy);
        _checkUri(rulingURI);
        uint256 workId = d.workId;
        Record storage r = _record(workId);
        d.status = DisputeStatus.Resolved;
        d.ruling = ruling;
        d.resolvedAt = uint40(block.timestamp);
        if (ruling == Ruling.Uphold) {
            r.status = WorkStatus.Active;
        } else if (ruling == Ruling.Transfer) {
            if (!_hasRole(Roles.PUBLISHER, beneficiary)) revert WorksNewHolderNotPublisher(beneficiary);
            address previous = r.holder;
            d.beneficiary = beneficiary;
            r.holder = beneficiary;
            r.status = WorkStatus.Active;
            r.payeeCount = _writePayees(workId, payees_, bps);
            emit RightsTransferred(workId, previous, beneficiary);
            emit PayeesSet(workId, payees_, bps);
        } else if (ruling == Ruling.Revoke) {
            if (beneficiary == address(0)) revert WorksZeroBeneficiary();
            d.beneficiary = beneficiary;
            r.status = WorkStatus.Revoked;
            emit WorkRevoked(workId, beneficiary);
        } else {
            revert WorksInvalidRuling(ruling);
        }
        emit DisputeResolved(disputeId, workId, ruling, d.beneficiary, rulingURI);
    }

    /// @notice The governor sets how long a holder has to answer new disputes (1 hour – 30 days).
    function setResponseWindow(uint40 window) external onlyRole(Roles.GOVERNOR) {
        if (window < 1 hours || window > 30 days) revert WorksInvalidResponseWindow(window);
        uint40 previous = _responseWindow;
        _responseWindow = window;
        emit ResponseWindowSet(previous, window);
    }

    // ------------------------------------------------------------------ views

    /// @notice Everything the chain keeps about `workId` (reverts for an unknown id).
    function work(uint256 workId) external view returns (WorkView memory v) {
        bytes32 h = _contentHashOf[workId];
        Record storage r = _records[h];
        if (h == bytes32(0)) revert WorksUnknownWork(workId);
        uint256 disputeId = _lastDispute[workId];
        v = WorkView({
            workId: workId,
            contentHash: h,
            holder: r.holder,
            status: r.status,
            payeeCount: r.payeeCount,
            registeredAt: r.registeredAt,
            lastDisputeId: disputeId,
            revokedTo: r.status == WorkStatus.Revoked ? _disputes[disputeId].beneficiary : address(0)
        });
    }

    /// @notice The payees of `workId` and their basis points.
    function payees(uint256 workId) public view returns (address[] memory accounts, uint16[] memory bps) {
        Record storage r = _record(workId);
        uint256 n = r.payeeCount;
        accounts = new address[](n);
        bps = new uint16[](n);
        for (uint256 i = 0; i < n; ++i) {
            Payee storage p = _payees[workId][i];
            accounts[i] = p.account;
            bps[i] = p.bps;
        }
    }

    /// @notice Who the royalties of `workId` go to now, for Royalties: the payees of an active
    /// or disputed work, the escrow beneficiary (at 10,000 bps) of a revoked one.
    function payout(uint256 workId)
        external
        view
        returns (WorkStatus status, address[] memory accounts, uint16[] memory bps)
    {
        status = _record(workId).status;
        if (status == WorkStatus.Revoked) {
            accounts = new address[](1);
            bps = new uint16[](1);
            accounts[0] = _disputes[_lastDispute[workId]].beneficiary;
            bps[0] = TOTAL_BPS;
        } else {
            (accounts, bps) = payees(workId);
        }
    }

    function holderOf(uint256 workId) external view returns (address) {
        return _record(workId).holder;
    }

    function statusOf(uint256 workId) external view returns (WorkStatus) {
        return _records[_contentHashOf[workId]].status;
    }

    /// @notice The workId registered under `contentHash`, 0 when none.
    function workIdOf(bytes32 contentHash) external view returns (uint256) {
        return _records[contentHash].workId;
    }

    function workCount() external view returns (uint256) {
        return _workCount;
    }

    function dispute(uint256 disputeId) external view returns (Dispute memory) {
        Dispute memory d = _disputes[disputeId];
        if (d.status == DisputeStatus.None) revert WorksUnknownDispute(disputeId);
        return d;
    }

    function disputeCount() external view returns (uint256) {
        return _disputeCount;
    }

    function responseWindow() external view returns (uint256) {
        return _responseWindow;
    }

    // ------------------------------------------------------------------ internals

    function _record(uint256 workId) private view returns (Record storage r) {
        bytes32 h = _contentHashOf[workId];
        if (h == bytes32(0)) revert WorksUnknownWork(workId);
        r = _records[h];
    }

    /// @dev The caller's record of an active work it holds.
    function _holderRecord(uint256 workId) private view returns (Record storage r) {
        r = _record(workId);
        if (r.holder != msg.sender) revert WorksNotHolder(workId, msg.sender);
        if (r.status != WorkStatus.Active) revert WorksWrongStatus(workId, r.status);
    }

    function _openDispute(uint256 disputeId) private view returns (Dispute storage d) {
        d = _disputes[disputeId];
        if (d.status == DisputeStatus.None) revert WorksUnknownDispute(disputeId);
        if (d.status != DisputeStatus.Open) revert WorksDisputeClosed(disputeId);
    }

    /// @dev Validates and stores payees; slots past the new count keep stale data that
    /// `payeeCount` hides. Bounded by MAX_PAYEES.
    function _writePayees(uint256 workId, address[] calldata payees_, uint16[] calldata bps)
        private
        returns (uint8 count)
    {
        uint256 n = payees_.length;
        if (n == 0 || n > MAX_PAYEES) revert WorksPayeeCount(n, MAX_PAYEES);
        if (bps.length != n) revert WorksPayeeLengthMismatch(n, bps.length);
        uint256 sum;
        mapping(uint256 => Payee) storage slots = _payees[workId];
        for (uint256 i = 0; i < n; ++i) {
            address account = payees_[i];
            uint16 share = bps[i];
            if (account == address(0)) revert WorksZeroPayee(i);
            if (share == 0) revert WorksZeroShare(i);
            sum += share;
            slots[i] = Payee(account, share);
        }
        if (sum != TOTAL_BPS) revert PayeeSharesNotTenThousand(sum);
        // n <= MAX_PAYEES (16)
        // forge-lint: disable-next-line(unsafe-typecast)
        count = uint8(n);
    }

    function _checkUri(string calldata uri) private pure {
        uint256 n = bytes(uri).length;
        if (n == 0 || n > MAX_URI_BYTES) revert WorksInvalidUri(n, MAX_URI_BYTES);
    }
}
