// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Consortium} from "./Consortium.sol";
import {Works} from "./Works.sol";
import {Royalties} from "./Royalties.sol";
import {SubsidyPools} from "./SubsidyPools.sol";
import {ConsortiumGuarded} from "./access/ConsortiumGuarded.sol";
import {Roles} from "./access/Roles.sol";
import {ILicensing} from "./interfaces/ILicensing.sol";
import {IRoyalties} from "./interfaces/IRoyalties.sol";

/// @title Licensing — licence terms, their offer per work, the licences libraries hold, and the
/// digital loans made under them.
/// @notice Terms are immutable and deduplicated by hash (`termsId`); the platform fee is
/// snapshotted into them, so a later change of the default never alters existing terms. A
/// work's holder attaches terms to the work and enables or disables them. A library
/// `acquire`s a licence (price × copies through the Royalties split; metered licences pay per
/// checkout instead, from its Royalties loan deposit), renews subscriptions, and lends: digital
/// loans within the library here (`checkout` / `checkin` / `expire`; the chain sees an opaque
/// random reference, never patron data), digital interlibrary loans through InterlibraryLoan,
/// which takes and returns concurrent copies with `useCopy` / `releaseCopy`. Active loans of a
/// licence never exceed its copies. (Loans lived in a separate Lending contract before issue
/// #3's gas work; keeping them here spares a checkout one contract call.)
contract Licensing is ILicensing, ConsortiumGuarded {
    enum TermsKind {
        PerpetualCopies, // price per copy once; the licence never expires unless `duration` says so
        PerLoanMetered, // nothing at acquisition; price charged per checkout
        Subscription // price per copy per `duration` seconds; `renew` extends
    }

    /// What a publisher submits; the fee is added from the current default.
    struct TermsInput {
        TermsKind kind;
        uint96 price; // fen per copy (PerpetualCopies, Subscription) or per loan (PerLoanMetered)
        uint32 copies; // concurrent loans per licence unit bought
        uint32 loanPeriod; // seconds a loan lasts
        uint16 maxLoansPerCopy; // loans per copy before the licence is exhausted; 0 = unlimited
        uint40 duration; // seconds a licence lives from acquisition (its expiry); 0 = no expiry
        bytes2 territory; // ISO 3166-1 alpha-2 (e.g. "CN"); 0x0000 = anywhere
        bool illAllowed; // may a copy be lent to another library (digital ILL)
        bytes32 legalTextHash; // SHA-256 of the legal text
        string legalTextURI;
    }

    /// Stored terms. The first slot holds everything an acquisition or a checkout reads.
    struct Terms {
        uint96 price;
        uint40 duration;
        uint32 loanPeriod;
        uint32 copies;
        uint16 maxLoansPerCopy;
        uint16 feeBps;
        TermsKind kind;
        bool illAllowed;
        bytes2 territory;
        bytes32 legalTextHash;
    }

    enum OfferState {
        None,
        Enabled,
        Disabled
    }

    /// Terms attached to a work: one slot.
    struct Offer {
        uint64 workId;
        uint64 termsId;
        OfferState state;
    }

    /// One slot: everything a checkout reads and writes. The expiry of licences that have one
    /// lives apart (`_validUntil`), so perpetual and metered licences cost one slot.
    struct Licence {
        address holder;
        uint32 offerId;
        uint16 copies; // concurrent loans allowed
        uint16 activeLoans;
        uint32 totalLoans;
    }

    /// What `licence(licenceId)` returns.
    struct LicenceView {
        address holder;
        uint256 workId;
        uint256 termsId;
        uint256 offerId;
        uint256 copies;
        uint256 activeLoans;
        uint256 totalLoans;
        uint256 validUntil; // 0 = no expiry
    }

    enum LoanStatus {
        None,
        Active,
        Returned,
        Expired
    }

    /// What `loan(loanId)` returns. The borrowing library is the licence's holder (a licence
    /// never changes hands), so storage keeps only licence, due date and status.
    struct Loan {
        uint40 licenceId;
        uint40 dueAt;
        LoanStatus status;
        address library_;
    }

    uint256 public constant BPS_DENOMINATOR = 10_000;
    uint16 public constant INITIAL_FEE_BPS = 3_000;
    uint256 public constant MAX_URI_BYTES = 256;
    /// Longest licence lifetime terms may set (100 years).
    uint256 public constant MAX_DURATION = 100 * 365 days;

    Works private immutable _works;
    Royalties private immutable _royalties;
    SubsidyPools private immutable _pools;

    /// Loan records are 84-bit lanes: licenceId (bits 0-39), dueAt (40-79), status (80-81).
    /// Loans are grouped by three (loan ids 3g+1..3g+3 form group g): the first two of a group
    /// wait in `_pending`, which shares slot 0 with the pause flag and the loan counter that
    /// every checkout reads and writes anyway; the third checkout of a group writes the whole
    /// group to its own slot. So two of three checkouts store their loan with a warm write
    /// instead of a fresh slot (20,000 gas); see bench/RESULTS.md.
    uint256 private constant LANE_BITS = 84;
    uint256 private constant LANE_MASK = 2 ** LANE_BITS - 1;
    uint256 private constant LOANS_PER_GROUP = 3;
    /// Written by `reserveLoanSlots` into group slots not yet used, so that the checkout that
    /// writes the group pays a non-zero -> non-zero write (~5k) instead of a fresh slot (~22k).
    /// Bit 255 lies outside the three 84-bit lanes (bits 0-251): a reserved slot holds no loan
    /// record, and the group write replaces the whole word.
    uint256 private constant RESERVED_SENTINEL = 1 << 255;
    /// Most groups one `reserveLoanSlots` call may reserve (256 groups ≈ 5.7M gas).
    uint256 public constant MAX_RESERVE_GROUPS = 256;

    /// Declared first: slot 0 holds the pause flag, the loan counter and the pending loans
    /// (8 + 64 + 168 bits).
    uint64 private _loanCount;
    uint168 private _pending;

    mapping(uint256 termsId => Terms) private _terms;
    mapping(uint256 termsId => string) private _legalTextURI;
    mapping(bytes32 termsHash => uint256 termsId) private _termsIdByHash;
    mapping(uint256 offerId => Offer) private _offers;
    mapping(uint256 workId => mapping(uint256 termsId => uint256 offerId)) private _offerIdOf;
    mapping(uint256 licenceId => Licence) private _licences;
    mapping(uint256 licenceId => uint40) private _validUntil;
    mapping(uint256 group => uint256) private _loanGroups;
    uint256 private _termsCount;
    uint256 private _offerCount;
    uint256 private _licenceCount;
    uint16 private _defaultFeeBps = INITIAL_FEE_BPS;
    /// Groups below this index were reserved (or lie behind the loan counter); its own slot,
    /// read and written only by `reserveLoanSlots`.
    uint256 private _reservedUpTo;

    /// `licenceId` has lent as many loans as its terms allow per copy.
    error LicenceExhausted(uint256 licenceId);
    error LicensingUnknownTerms(uint256 termsId);
    error LicensingUnknownLicence(uint256 licenceId);
    error LicensingZeroCopies();
    error LicensingZeroLoanPeriod();
    error LicensingSubscriptionNeedsDuration();
    error LicensingDurationTooLong(uint256 duration, uint256 maxDuration);
    error LicensingPriceTooLow(uint256 price, uint256 feeBps);
    error LicensingInvalidTerritory(bytes2 territory);
    error LicensingInvalidUri(uint256 length, uint256 maxLength);
    error LicensingInvalidFeeBps(uint256 feeBps);
    error LicensingNotWorkHolder(uint256 workId, address account);
    error LicensingWorkRevoked(uint256 workId);
    error LicensingTermsAlreadyAttached(uint256 workId, uint256 termsId);
    error LicensingTermsNotAttached(uint256 workId, uint256 termsId);
    error LicensingTermsNotEnabled(uint256 workId, uint256 termsId);
    error LicensingTooManyCopies(uint256 copies);
    error LicensingNotLicenceHolder(uint256 licenceId, address account);
    error LicensingLicenceExpired(uint256 licenceId, uint256 validUntil);
    error LicensingNoFreeCopy(uint256 licenceId, uint256 copies);
    error LicensingIllNotAllowed(uint256 licenceId);
    error LicensingNoActiveLoan(uint256 licenceId);
    error LicensingNotSubscription(uint256 licenceId);
    error LicensingNothingToSubsidise(uint256 termsId);
    error LicensingIdOverflow(uint256 id);
    error LendingZeroReference();
    error LendingUnknownLoan(uint256 loanId);
    error LendingLoanNotActive(uint256 loanId, LoanStatus status);
    error LendingNotBorrower(uint256 loanId, address account);
    error LendingNotDue(uint256 loanId, uint256 dueAt);
    error LendingIdOverflow(uint256 id);
    /// `groups` is 0 or above `MAX_RESERVE_GROUPS`.
    error LendingInvalidReserve(uint256 groups, uint256 maxGroups);

    event TermsPublished(
        uint256 indexed termsId, bytes32 indexed termsHash, address indexed publisher, Terms terms, string legalTextURI
    );
    event TermsAttached(uint256 indexed workId, uint256 indexed termsId, address indexed holder, uint256 offerId);
    event TermsEnabledSet(uint256 indexed workId, uint256 indexed termsId, bool enabled);
    event DefaultFeeBpsSet(uint16 previous, uint16 current);
    event LicenceAcquired(
        uint256 indexed licenceId,
        uint256 indexed workId,
        uint256 indexed termsId,
        address holder,
        uint256 copies,
        uint256 validUntil,
        uint256 gross,
        uint256 poolId,
        uint256 subsidy
    );
    event LicenceRenewed(
        uint256 indexed licenceId, uint256 validUntil, uint256 gross, uint256 poolId, uint256 subsidy
    );
    event CopyUsed(uint256 indexed licenceId, address indexed by, bool forIll, uint256 activeLoans);
    event CopyReleased(uint256 indexed licenceId, address indexed by, uint256 activeLoans);
    /// `ref` is the library's opaque random reference of the loan (no patron data);
    /// `charge` the per-loan price paid through Royalties (0 unless metered).
    event LoanCheckedOut(
        uint256 indexed loanId, uint256 indexed licenceId, address indexed library_, bytes32 ref, uint256 dueAt, uint256 charge
    );
    event LoanCheckedIn(uint256 indexed loanId, uint256 indexed licenceId, address indexed library_);
    event LoanExpired(uint256 indexed loanId, uint256 indexed licenceId, address indexed caller);
    /// Group slots `fromGroup` (inclusive) to `toGroup` (exclusive) hold the reservation
    /// sentinel; group g holds loan ids 3g+1..3g+3.
    event LoanSlotsReserved(address indexed by, uint256 fromGroup, uint256 toGroup);

    constructor(Consortium consortium_, Works works_, Royalties royalties_, SubsidyPools pools_)
        ConsortiumGuarded(consortium_)
    {
        _works = works_;
        _royalties = royalties_;
        _pools = pools_;
    }

    // ------------------------------------------------------------------ publisher actions

    /// @notice Publishes immutable terms with the current default fee; identical terms (same
    /// fields, same fee) return the existing id without a new event.
    function publishTerms(TermsInput calldata t)
        external
        onlyRole(Roles.PUBLISHER)
        whenNotPaused
        returns (uint256 termsId)
    {
        uint16 feeBps = _defaultFeeBps;
        _checkTerms(t, feeBps);
        bytes32 h = termsHash(t, feeBps);
        termsId = _termsIdByHash[h];
        if (termsId != 0) return termsId;
        termsId = ++_termsCount;
        _termsIdByHash[h] = termsId;
        Terms memory stored = Terms({
            price: t.price,
            duration: t.duration,
            loanPeriod: t.loanPeriod,
            copies: t.copies,
            feeBps: feeBps,
            kind: t.kind,
            maxLoansPerCopy: t.maxLoansPerCopy,
            illAllowed: t.illAllowed,
            territory: t.territory,
            legalTextHash: t.legalTextHash
        });
        _terms[termsId] = stored;
        _legalTextURI[termsId] = t.legalTextURI;
        emit TermsPublished(termsId, h, msg.sender, stored, t.legalTextURI);
    }

    /// @notice The work's holder offers `termsId` for `workId` (enabled at once).
    function attachTerms(uint256 workId, uint256 termsId) external onlyRole(Roles.PUBLISHER) whenNotPaused {
        _checkWorkHolder(workId);
        _knownTerms(termsId);
        if (_offerIdOf[workId][termsId] != 0) revert LicensingTermsAlreadyAttached(workId, termsId);
        uint256 offerId = ++_offerCount;
        if (offerId > type(uint32).max) revert LicensingIdOverflow(offerId);
        _offerIdOf[workId][termsId] = offerId;
        // workId comes from Works (uint40) and termsId <= _termsCount: both fit in 64 bits
        // forge-lint: disable-next-line(unsafe-typecast)
        _offers[offerId] = Offer({workId: uint64(workId), termsId: uint64(termsId), state: OfferState.Enabled});
        emit TermsAttached(workId, termsId, msg.sender, offerId);
    }

    /// @notice The work's holder enables or disables attached terms. Disabled terms can no
    /// longer be acquired, renewed or lent under.
    function setTermsEnabled(uint256 workId, uint256 termsId, bool enabled)
        external
        onlyRole(Roles.PUBLISHER)
        whenNotPaused
    {
        _checkWorkHolder(workId);
        uint256 offerId = _offerIdOf[workId][termsId];
        if (offerId == 0) revert LicensingTermsNotAttached(workId, termsId);
        _offers[offerId].state = enabled ? OfferState.Enabled : OfferState.Disabled;
        emit TermsEnabledSet(workId, termsId, enabled);
    }

    // ------------------------------------------------------------------ governor

    /// @notice Sets the platform fee snapshotted into terms published from now on (1–10,000 bps).
    function setDefaultFeeBps(uint16 feeBps) external onlyRole(Roles.GOVERNOR) {
        if (feeBps == 0 || feeBps > BPS_DENOMINATOR) revert LicensingInvalidFeeBps(feeBps);
        uint16 previous = _defaultFeeBps;
        _defaultFeeBps = feeBps;
        emit DefaultFeeBpsSet(previous, feeBps);
    }

    // ------------------------------------------------------------------ library actions

    /// @notice Buys `copies` licence units of `termsId` for `workId`; pays price × copies
    /// through the split (metered terms pay per checkout instead).
    /// @return licenceId sequential id from 1.
    function acquire(uint256 workId, uint256 termsId, uint256 copies)
        external
        onlyRole(Roles.LIBRARY)
        whenNotPaused
        returns (uint256 licenceId)
    {
        return _acquire(workId, termsId, copies, 0);
    }

    /// @notice As `acquire`, with 70% of the price drawn from subsidy pool `poolId`.
    function acquireWithPool(uint256 workId, uint256 termsId, uint256 copies, uint256 poolId)
        external
        onlyRole(Roles.LIBRARY)
        whenNotPaused
        returns (uint256 licenceId)
    {
        return _acquire(workId, termsId, copies, poolId);
    }

    /// @notice Extends a subscription by its terms' duration (from its current end, or from now
    /// if it already lapsed) and pays price × copies again.
    function renew(uint256 licenceId) external onlyRole(Roles.LIBRARY) whenNotPaused returns (uint256 validUntil) {
        return _renew(licenceId, 0);
    }

    /// @notice As `renew`, with 70% of the price drawn from subsidy pool `poolId`.
    function renewWithPool(uint256 licenceId, uint256 poolId)
        external
        onlyRole(Roles.LIBRARY)
        whenNotPaused
        returns (uint256 validUntil)
    {
        return _renew(licenceId, poolId);
    }

    // ------------------------------------------------------------------ ledger hooks

    /// @inheritdoc ILicensing
    function useCopy(uint256 licenceId, address holder, bool forIll)
        external
        onlyRole(Roles.LEDGER)
        whenNotPaused
        returns (CopyGrant memory grant)
    {
        return _useCopy(licenceId, holder, forIll);
    }

    /// @inheritdoc ILicensing
    function releaseCopy(uint256 licenceId) external onlyRole(Roles.LEDGER) whenNotPaused {
        _releaseCopy(licenceId);
    }

    // ------------------------------------------------------------------ digital loans

    /// @notice Lends one copy of `licenceId` (held by the caller) until now + the terms' loan
    /// period (controlled digital lending: the chain sees an opaque random reference, never
    /// patron data). Metered licences pay their per-loan price from the caller's Royalties
    /// deposit (`Royalties.deposit`); a short deposit reverts with `DepositTooLow`.
    /// @param ref an opaque random reference the library keeps off-chain with the patron.
    /// @return loanId sequential id from 1.
    function checkout(uint256 licenceId, bytes32 ref)
        external
        onlyRole(Roles.LIBRARY)
        whenNotPaused
        returns (uint256 loanId)
    {
        if (ref == bytes32(0)) revert LendingZeroReference();
        if (licenceId > type(uint40).max) revert LendingIdOverflow(licenceId);
        CopyGrant memory g = _useCopy(licenceId, msg.sender, false);
        uint256 index = _loanCount; // loanId - 1
        loanId = index + 1;
        uint256 dueAt = block.timestamp + g.loanPeriod;
        // licenceId < 2^40 (checked above); dueAt = now + a uint32 period fits in 40 bits
        uint256 record = licenceId | (dueAt << 40) | (uint256(LoanStatus.Active) << 80);
        uint256 lane = index % LOANS_PER_GROUP;
        if (lane == LOANS_PER_GROUP - 1) {
            _loanGroups[index / LOANS_PER_GROUP] = _pending | (record << (LANE_BITS * lane));
            _pending = 0;
        } else {
            // forge-lint: disable-next-line(unsafe-typecast)
            _pending = uint168(_pending | (record << (LANE_BITS * lane)));
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        _loanCount = uint64(loanId);
        emit LoanCheckedOut(loanId, licenceId, msg.sender, ref, dueAt, g.perLoanPrice);
        if (g.perLoanPrice != 0) {
            _royalties.payFromDeposit(
                msg.sender, g.workId, g.termsId, g.feeBps, IRoyalties.PaymentRef.DigitalLoan, loanId, g.perLoanPrice
            );
        }
    }

    /// @notice Prepays the storage of the next `groups` loan groups (three loans each): writes a
    /// sentinel (no loan) into each group slot beyond the reservation cursor, so the checkout
    /// that later writes such a group pays ~5k gas for it instead of ~22k. Loan ids, hence
    /// groups, are shared by every library: a reservation serves whichever checkouts come next.
    /// Callable by an active library or the platform; costs the caller ~22k gas per group. Groups already written by
    /// checkouts are never touched (the reservation starts at the group still filling at the
    /// earliest). Reverts with `LendingInvalidReserve` for 0 or more than `MAX_RESERVE_GROUPS`.
    /// @return fromGroup first group reserved; @return toGroup one past the last.
    function reserveLoanSlots(uint256 groups) external whenNotPaused returns (uint256 fromGroup, uint256 toGroup) {
        if (!_hasRole(Roles.LIBRARY, msg.sender) && !_hasRole(Roles.PLATFORM, msg.sender)) {
            revert Unauthorized(msg.sender, Roles.LIBRARY);
        }
        if (groups == 0 || groups > MAX_RESERVE_GROUPS) revert LendingInvalidReserve(groups, MAX_RESERVE_GROUPS);
        fromGroup = _reservedUpTo;
        uint256 filling = _loanCount / LOANS_PER_GROUP; // groups below it are written already
        if (fromGroup < filling) fromGroup = filling;
        toGroup = fromGroup + groups;
        for (uint256 g = fromGroup; g < toGroup; ++g) {
            _loanGroups[g] = RESERVED_SENTINEL;
        }
        _reservedUpTo = toGroup;
        emit LoanSlotsReserved(msg.sender, fromGroup, toGroup);
    }

    /// @notice The lending library ends an active loan; the copy is free again.
    function checkin(uint256 loanId) external onlyRole(Roles.LIBRARY) whenNotPaused {
        (uint256 licenceId,) = _endLoan(loanId, LoanStatus.Returned);
        if (_licences[licenceId].holder != msg.sender) revert LendingNotBorrower(loanId, msg.sender);
        emit LoanCheckedIn(loanId, licenceId, msg.sender);
        _releaseCopy(licenceId);
    }

    /// @notice Anyone ends an active loan after its due date; the copy is free again.
    function expire(uint256 loanId) external whenNotPaused {
        (uint256 licenceId, uint256 dueAt) = _endLoan(loanId, LoanStatus.Expired);
        if (block.timestamp <= dueAt) revert LendingNotDue(loanId, dueAt);
        emit LoanExpired(loanId, licenceId, msg.sender);
        _releaseCopy(licenceId);
    }

    // ------------------------------------------------------------------ views

    /// @notice Loan `loanId`: licence, due date (unix seconds), status and borrowing library.
    function loan(uint256 loanId) external view returns (Loan memory l) {
        (uint256 record,,,) = _locateLoan(loanId);
        if (record == 0) revert LendingUnknownLoan(loanId);
        // the lanes hold values written from these widths
        // forge-lint: disable-next-line(unsafe-typecast)
        l.licenceId = uint40(record);
        // forge-lint: disable-next-line(unsafe-typecast)
        l.dueAt = uint40(record >> 40);
        l.status = LoanStatus(record >> 80);
        l.library_ = _licences[l.licenceId].holder;
    }

    function loanCount() external view returns (uint256) {
        return _loanCount;
    }

    /// @notice One past the last loan group reserved by `reserveLoanSlots` (0: none yet); a
    /// checkout whose loan id is at most `3 * reservedUpTo()` writes into a reserved slot.
    function reservedUpTo() external view returns (uint256) {
        return _reservedUpTo;
    }

    /// @notice The library holding `licenceId` (a licence never changes hands); reverts for an
    /// unknown licence.
    function holderOf(uint256 licenceId) external view returns (address holder) {
        holder = _licences[licenceId].holder;
        if (holder == address(0)) revert LicensingUnknownLicence(licenceId);
    }

    /// @notice The hash identifying terms `t` at fee `feeBps` (the dedup key).
    function termsHash(TermsInput calldata t, uint16 feeBps) public pure returns (bytes32) {
        return keccak256(
            abi.encode(
                t.kind,
                t.price,
                t.copies,
                t.loanPeriod,
                t.maxLoansPerCopy,
                t.duration,
                t.territory,
                t.illAllowed,
                feeBps,
                t.legalTextHash,
                keccak256(bytes(t.legalTextURI))
            )
        );
    }

    /// @notice Terms `termsId` and their legal text URI.
    function terms(uint256 termsId) external view returns (Terms memory t, string memory legalTextURI) {
        t = _knownTerms(termsId);
        legalTextURI = _legalTextURI[termsId];
    }

    /// @notice The termsId of a terms hash, 0 when unknown.
    function termsIdOf(bytes32 hash) external view returns (uint256) {
        return _termsIdByHash[hash];
    }

    /// @notice Whether `termsId` is attached to `workId`, and enabled.
    function offerState(uint256 workId, uint256 termsId) external view returns (OfferState) {
        return _offers[_offerIdOf[workId][termsId]].state;
    }

    /// @notice The offer id of `termsId` on `workId`, 0 when not attached.
    function offerIdOf(uint256 workId, uint256 termsId) external view returns (uint256) {
        return _offerIdOf[workId][termsId];
    }

    function offer(uint256 offerId) external view returns (Offer memory) {
        return _offers[offerId];
    }

    function licence(uint256 licenceId) external view returns (LicenceView memory v) {
        Licence memory l = _licences[licenceId];
        if (l.holder == address(0)) revert LicensingUnknownLicence(licenceId);
        Offer memory o = _offers[l.offerId];
        v = LicenceView({
            holder: l.holder,
            workId: o.workId,
            termsId: o.termsId,
            offerId: l.offerId,
            copies: l.copies,
            activeLoans: l.activeLoans,
            totalLoans: l.totalLoans,
            validUntil: _validUntil[licenceId]
        });
    }

    /// @notice True while `licenceId` can lend: known, not expired, not exhausted, terms enabled.
    /// (A free copy and the work's status are checked at checkout.)
    function isLive(uint256 licenceId) external view returns (bool) {
        Licence memory l = _licences[licenceId];
        if (l.holder == address(0)) return false;
        Offer memory o = _offers[l.offerId];
        if (o.state != OfferState.Enabled) return false;
        uint256 validUntil = _validUntil[licenceId];
        if (validUntil != 0 && block.timestamp >= validUntil) return false;
        uint256 maxPerCopy = _terms[o.termsId].maxLoansPerCopy;
        return maxPerCopy == 0 || l.totalLoans < maxPerCopy * l.copies;
    }

    function offerCount() external view returns (uint256) {
        return _offerCount;
    }

    function termsCount() external view returns (uint256) {
        return _termsCount;
    }

    function licenceCount() external view returns (uint256) {
        return _licenceCount;
    }

    function defaultFeeBps() external view returns (uint16) {
        return _defaultFeeBps;
    }

    function works() external view returns (Works) {
        return _works;
    }

    function royalties() external view returns (Royalties) {
        return _royalties;
    }

    function subsidyPools() external view returns (SubsidyPools) {
        return _pools;
    }

    // ------------------------------------------------------------------ internals

    function _acquire(uint256 workId, uint256 termsId, uint256 copies, uint256 poolId)
        private
        returns (uint256 licenceId)
    {
        if (_offers[_offerIdOf[workId][termsId]].state != OfferState.Enabled) {
            revert LicensingTermsNotEnabled(workId, termsId);
        }
        if (copies == 0) revert LicensingZeroCopies();
        Terms storage t = _terms[termsId];
        uint256 gross = t.kind == TermsKind.PerLoanMetered ? 0 : copies * t.price;
        uint256 subsidy;
        if (poolId != 0) {
            if (gross == 0) revert LicensingNothingToSubsidise(termsId);
            subsidy = _pools.draw(poolId, msg.sender, workId, gross, msg.sender);
        }
        {
            (uint256 id, uint256 concurrent, uint256 validUntil) = _recordLicence(workId, termsId, copies, t);
            licenceId = id;
            emit LicenceAcquired(id, workId, termsId, msg.sender, concurrent, validUntil, gross, poolId, subsidy);
        }
        if (gross != 0) {
            _royalties.pay(msg.sender, workId, termsId, t.feeBps, IRoyalties.PaymentRef.Licence, licenceId, gross);
        } else if (_works.statusOf(workId) == Works.WorkStatus.Revoked) {
            revert LicensingWorkRevoked(workId);
        }
    }

    /// @dev Stores a new licence of the caller: one slot, two when it expires.
    function _recordLicence(uint256 workId, uint256 termsId, uint256 copies, Terms storage t)
        private
        returns (uint256 licenceId, uint256 concurrent, uint256 validUntil)
    {
        uint256 offerId = _offerIdOf[workId][termsId];
        concurrent = copies * t.copies;
        if (concurrent > type(uint16).max) revert LicensingTooManyCopies(copies);
        licenceId = ++_licenceCount;
        // offerId <= _offerCount < 2^32 (checked at attach); concurrent fits (checked above)
        _licences[licenceId] = Licence({
            holder: msg.sender,
            // forge-lint: disable-next-line(unsafe-typecast)
            offerId: uint32(offerId),
            // forge-lint: disable-next-line(unsafe-typecast)
            copies: uint16(concurrent),
            activeLoans: 0,
            totalLoans: 0
        });
        uint256 duration = t.duration;
        if (duration != 0) {
            validUntil = block.timestamp + duration;
            _validUntil[licenceId] = SafeCast.toUint40(validUntil);
        }
    }

    function _renew(uint256 licenceId, uint256 poolId) private returns (uint256 validUntil) {
        Licence storage l = _licences[licenceId];
        if (l.holder == address(0)) revert LicensingUnknownLicence(licenceId);
        if (l.holder != msg.sender) revert LicensingNotLicenceHolder(licenceId, msg.sender);
        Offer memory o = _offers[l.offerId];
        Terms storage t = _terms[o.termsId];
        if (t.kind != TermsKind.Subscription) revert LicensingNotSubscription(licenceId);
        if (o.state != OfferState.Enabled) revert LicensingTermsNotEnabled(o.workId, o.termsId);
        {
            uint256 from = _validUntil[licenceId];
            if (from < block.timestamp) from = block.timestamp;
            validUntil = from + t.duration;
        }
        _validUntil[licenceId] = SafeCast.toUint40(validUntil);
        // the licence holds a whole number of units of the terms' copies: the division is exact
        // forge-lint: disable-next-line(divide-before-multiply)
        uint256 gross = (l.copies / t.copies) * t.price;
        {
            uint256 subsidy = poolId == 0 ? 0 : _pools.draw(poolId, msg.sender, o.workId, gross, msg.sender);
            emit LicenceRenewed(licenceId, validUntil, gross, poolId, subsidy);
        }
        _royalties.pay(msg.sender, o.workId, o.termsId, t.feeBps, IRoyalties.PaymentRef.Licence, licenceId, gross);
    }

    function _checkWorkHolder(uint256 workId) private view {
        if (_works.holderOf(workId) != msg.sender) revert LicensingNotWorkHolder(workId, msg.sender);
        if (_works.statusOf(workId) == Works.WorkStatus.Revoked) revert LicensingWorkRevoked(workId);
    }

    function _knownTerms(uint256 termsId) private view returns (Terms storage t) {
        t = _terms[termsId];
        if (t.copies == 0) revert LicensingUnknownTerms(termsId);
    }

    function _checkTerms(TermsInput calldata t, uint16 feeBps) private pure {
        if (t.copies == 0) revert LicensingZeroCopies();
        if (t.loanPeriod == 0) revert LicensingZeroLoanPeriod();
        if (t.kind == TermsKind.Subscription && t.duration == 0) revert LicensingSubscriptionNeedsDuration();
        if (t.duration > MAX_DURATION) revert LicensingDurationTooLong(t.duration, MAX_DURATION);
        if (uint256(t.price) * feeBps / BPS_DENOMINATOR == 0) revert LicensingPriceTooLow(t.price, feeBps);
        bytes2 c = t.territory;
        if (c != bytes2(0) && !(_isUpper(c[0]) && _isUpper(c[1]))) revert LicensingInvalidTerritory(c);
        uint256 n = bytes(t.legalTextURI).length;
        if (n == 0 || n > MAX_URI_BYTES) revert LicensingInvalidUri(n, MAX_URI_BYTES);
    }

    function _isUpper(bytes1 b) private pure returns (bool) {
        return b >= 0x41 && b <= 0x5A;
    }

    // ------------------------------------------------------------------ copy and loan internals

    /// @dev Takes one concurrent copy of `licenceId` for `holder` (see `useCopy`).
    function _useCopy(uint256 licenceId, address holder, bool forIll) private returns (CopyGrant memory grant) {
        Licence storage l = _licences[licenceId];
        Licence memory m = l;
        if (m.holder == address(0)) revert LicensingUnknownLicence(licenceId);
        if (m.holder != holder) revert LicensingNotLicenceHolder(licenceId, holder);
        Offer memory o = _offers[m.offerId];
        if (o.state != OfferState.Enabled) revert LicensingTermsNotEnabled(o.workId, o.termsId);
        Terms storage t = _terms[o.termsId];
        TermsKind kind = t.kind;
        if (t.duration != 0) {
            uint256 validUntil = _validUntil[licenceId];
            if (block.timestamp >= validUntil) revert LicensingLicenceExpired(licenceId, validUntil);
        }
        uint256 maxPerCopy = t.maxLoansPerCopy;
        if (maxPerCopy != 0 && m.totalLoans >= maxPerCopy * m.copies) revert LicenceExhausted(licenceId);
        if (m.activeLoans >= m.copies) revert LicensingNoFreeCopy(licenceId, m.copies);
        if (forIll && !t.illAllowed) revert LicensingIllNotAllowed(licenceId);
        if (_works.statusOf(o.workId) == Works.WorkStatus.Revoked) revert LicensingWorkRevoked(o.workId);
        // activeLoans < copies <= uint16 max
        unchecked {
            l.activeLoans = m.activeLoans + 1;
        }
        l.totalLoans = m.totalLoans + 1;
        emit CopyUsed(licenceId, msg.sender, forIll, m.activeLoans + 1);
        grant = CopyGrant({
            workId: o.workId,
            termsId: o.termsId,
            feeBps: t.feeBps,
            perLoanPrice: kind == TermsKind.PerLoanMetered ? t.price : 0,
            loanPeriod: t.loanPeriod
        });
    }

    /// @dev Returns a copy taken by `_useCopy`.
    function _releaseCopy(uint256 licenceId) private {
        Licence storage l = _licences[licenceId];
        uint256 active = l.activeLoans;
        if (active == 0) revert LicensingNoActiveLoan(licenceId);
        // active > 0
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast)
            l.activeLoans = uint16(active - 1);
            emit CopyReleased(licenceId, msg.sender, active - 1);
        }
    }

    /// @dev The record of `loanId` (0 when there is none), the word holding it, whether that
    /// word is `_pending` (else `_loanGroups[group]`), and the lane's bit offset.
    function _locateLoan(uint256 loanId)
        private
        view
        returns (uint256 record, uint256 word, bool pending, uint256 shift)
    {
        uint256 count = _loanCount;
        if (loanId == 0 || loanId > count) return (0, 0, false, 0);
        uint256 index = loanId - 1;
        uint256 group = index / LOANS_PER_GROUP;
        shift = LANE_BITS * (index % LOANS_PER_GROUP);
        pending = group == count / LOANS_PER_GROUP; // the group still filling
        word = pending ? _pending : _loanGroups[group];
        // a written group never holds the reservation sentinel (the group write replaces the
        // word), and the sentinel's bit lies outside every lane anyway: masked, it reads as 0
        record = (word >> shift) & LANE_MASK;
    }

    /// @dev Sets an active loan's status to `status`; returns its licence and due date.
    function _endLoan(uint256 loanId, LoanStatus status) private returns (uint256 licenceId, uint256 dueAt) {
        (uint256 record, uint256 word, bool pending, uint256 shift) = _locateLoan(loanId);
        if (record == 0) revert LendingUnknownLoan(loanId);
        LoanStatus s = LoanStatus(record >> 80);
        if (s != LoanStatus.Active) revert LendingLoanNotActive(loanId, s);
        licenceId = record & type(uint40).max;
        dueAt = (record >> 40) & type(uint40).max;
        uint256 updated = licenceId | (dueAt << 40) | (uint256(status) << 80);
        word = (word & ~(LANE_MASK << shift)) | (updated << shift);
        if (pending) {
            // forge-lint: disable-next-line(unsafe-typecast)
            _pending = uint168(word);
        } else {
            _loanGroups[(loanId - 1) / LOANS_PER_GROUP] = word;
        }
    }
}
