// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Consortium} from "./Consortium.sol";
import {Licensing} from "./Licensing.sol";
import {Royalties} from "./Royalties.sol";
import {ConsortiumGuarded} from "./access/ConsortiumGuarded.sol";
import {Roles} from "./access/Roles.sol";
import {ILicensing} from "./interfaces/ILicensing.sol";
import {IRoyalties} from "./interfaces/IRoyalties.sol";

/// @title Lending — digital loans within one library (controlled digital lending).
/// @notice A library checks out a copy of a licence it holds for a patron it knows only
/// off-chain: the chain sees an opaque random reference, never patron data. Active loans of a
/// licence never exceed its copies (Licensing counts them); a loan ends by check-in or, after
/// its due date, by anyone calling `expire`. Metered licences pay the per-loan price through
/// the Royalties split at checkout.
contract Lending is ConsortiumGuarded {
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

    Licensing private immutable _licensing;
    Royalties private immutable _royalties;

    /// Loan records are 84-bit lanes: licenceId (bits 0-39), dueAt (40-79), status (80-81).
    /// Loans are grouped by three (loan ids 3g+1..3g+3 form group g): the first two of a group
    /// wait in `_pending`, which shares slot 0 with the pause flag and the loan counter that
    /// every checkout writes anyway; the third checkout of a group writes the whole group to
    /// its own slot. So two of three checkouts store their loan for a warm write instead of a
    /// fresh slot (20,000 gas); see bench/RESULTS.md.
    uint256 private constant LANE_BITS = 84;
    uint256 private constant LANE_MASK = 2 ** LANE_BITS - 1;
    uint256 private constant LOANS_PER_GROUP = 3;

    /// Declared first: shares slot 0 with the pause flag (8 + 64 + 168 bits).
    uint64 private _loanCount;
    uint168 private _pending;
    mapping(uint256 group => uint256) private _groups;

    error LendingZeroReference();
    error LendingUnknownLoan(uint256 loanId);
    error LendingLoanNotActive(uint256 loanId, LoanStatus status);
    error LendingNotBorrower(uint256 loanId, address account);
    error LendingNotDue(uint256 loanId, uint256 dueAt);
    error LendingIdOverflow(uint256 id);

    /// `ref` is the library's opaque random reference of the loan (no patron data);
    /// `charge` the per-loan price paid through Royalties (0 unless metered).
    event LoanCheckedOut(
        uint256 indexed loanId, uint256 indexed licenceId, address indexed library_, bytes32 ref, uint256 dueAt, uint256 charge
    );
    event LoanCheckedIn(uint256 indexed loanId, uint256 indexed licenceId, address indexed library_);
    event LoanExpired(uint256 indexed loanId, uint256 indexed licenceId, address indexed caller);

    constructor(Consortium consortium_, Licensing licensing_, Royalties royalties_) ConsortiumGuarded(consortium_) {
        _licensing = licensing_;
        _royalties = royalties_;
    }

    // ------------------------------------------------------------------ library actions

    /// @notice Lends one copy of `licenceId` (held by the caller) until now + the terms' loan
    /// period; metered licences pay their per-loan price.
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
        ILicensing.CopyGrant memory g = _licensing.useCopy(licenceId, msg.sender, false);
        uint256 index = _loanCount; // loanId - 1
        loanId = index + 1;
        uint256 dueAt = block.timestamp + g.loanPeriod;
        // licenceId < 2^40 (checked above); dueAt = now + a uint32 period fits in 40 bits
        uint256 record = licenceId | (dueAt << 40) | (uint256(LoanStatus.Active) << 80);
        uint256 lane = index % LOANS_PER_GROUP;
        if (lane == LOANS_PER_GROUP - 1) {
            _groups[index / LOANS_PER_GROUP] = _pending | (record << (LANE_BITS * lane));
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

    /// @notice The lending library ends an active loan; the copy is free again.
    function checkin(uint256 loanId) external onlyRole(Roles.LIBRARY) whenNotPaused {
        (uint256 licenceId,) = _endLoan(loanId, LoanStatus.Returned);
        if (_licensing.holderOf(licenceId) != msg.sender) revert LendingNotBorrower(loanId, msg.sender);
        emit LoanCheckedIn(loanId, licenceId, msg.sender);
        _licensing.releaseCopy(licenceId);
    }

    /// @notice Anyone ends an active loan after its due date; the copy is free again.
    function expire(uint256 loanId) external whenNotPaused {
        (uint256 licenceId, uint256 dueAt) = _endLoan(loanId, LoanStatus.Expired);
        if (block.timestamp <= dueAt) revert LendingNotDue(loanId, dueAt);
        emit LoanExpired(loanId, licenceId, msg.sender);
        _licensing.releaseCopy(licenceId);
    }

    // ------------------------------------------------------------------ views

    /// @notice Loan `loanId`: licence, due date (unix seconds), status and borrowing library.
    function loan(uint256 loanId) external view returns (Loan memory l) {
        (uint256 record,,,) = _locate(loanId);
        if (record == 0) revert LendingUnknownLoan(loanId);
        // the lanes hold values written from these widths
        // forge-lint: disable-next-line(unsafe-typecast)
        l.licenceId = uint40(record);
        // forge-lint: disable-next-line(unsafe-typecast)
        l.dueAt = uint40(record >> 40);
        l.status = LoanStatus(record >> 80);
        l.library_ = _licensing.holderOf(l.licenceId);
    }

    function loanCount() external view returns (uint256) {
        return _loanCount;
    }

    function licensing() external view returns (Licensing) {
        return _licensing;
    }

    function royalties() external view returns (Royalties) {
        return _royalties;
    }

    // ------------------------------------------------------------------ internals

    /// @dev The record of `loanId` (0 when there is none), the word holding it, whether that
    /// word is `_pending` (else `_groups[group]`), and the lane's bit offset.
    function _locate(uint256 loanId) private view returns (uint256 record, uint256 word, bool pending, uint256 shift) {
        uint256 count = _loanCount;
        if (loanId == 0 || loanId > count) return (0, 0, false, 0);
        uint256 index = loanId - 1;
        uint256 group = index / LOANS_PER_GROUP;
        shift = LANE_BITS * (index % LOANS_PER_GROUP);
        pending = group == count / LOANS_PER_GROUP; // the group still filling
        word = pending ? _pending : _groups[group];
        record = (word >> shift) & LANE_MASK;
    }

    /// @dev Sets an active loan's status to `status`; returns its licence and due date.
    function _endLoan(uint256 loanId, LoanStatus status) private returns (uint256 licenceId, uint256 dueAt) {
        (uint256 record, uint256 word, bool pending, uint256 shift) = _locate(loanId);
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
            _groups[(loanId - 1) / LOANS_PER_GROUP] = word;
        }
    }
}
