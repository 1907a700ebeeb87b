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

    /// One slot per loan.
    struct Loan {
        uint40 licenceId;
        uint40 dueAt;
        LoanStatus status;
        address library_;
    }

    Licensing private immutable _licensing;
    Royalties private immutable _royalties;

    /// Declared first: shares slot 0 with the pause flag, which every checkout reads anyway.
    uint64 private _loanCount;
    mapping(uint256 loanId => Loan) private _loans;

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
        loanId = ++_loanCount;
        uint256 dueAt = block.timestamp + g.loanPeriod;
        // licenceId fits (checked above); dueAt = now + a uint32 period fits in 40 bits
        _loans[loanId] = Loan({
            // forge-lint: disable-next-line(unsafe-typecast)
            licenceId: uint40(licenceId),
            // forge-lint: disable-next-line(unsafe-typecast)
            dueAt: uint40(dueAt),
            status: LoanStatus.Active,
            library_: msg.sender
        });
        emit LoanCheckedOut(loanId, licenceId, msg.sender, ref, dueAt, g.perLoanPrice);
        if (g.perLoanPrice != 0) {
            _royalties.pay(
                msg.sender, g.workId, g.termsId, g.feeBps, IRoyalties.PaymentRef.DigitalLoan, loanId, g.perLoanPrice
            );
        }
    }

    /// @notice The lending library ends an active loan; the copy is free again.
    function checkin(uint256 loanId) external onlyRole(Roles.LIBRARY) whenNotPaused {
        Loan storage loan_ = _activeLoan(loanId);
        if (loan_.library_ != msg.sender) revert LendingNotBorrower(loanId, msg.sender);
        loan_.status = LoanStatus.Returned;
        uint256 licenceId = loan_.licenceId;
        emit LoanCheckedIn(loanId, licenceId, msg.sender);
        _licensing.releaseCopy(licenceId);
    }

    /// @notice Anyone ends an active loan after its due date; the copy is free again.
    function expire(uint256 loanId) external whenNotPaused {
        Loan storage loan_ = _activeLoan(loanId);
        if (block.timestamp <= loan_.dueAt) revert LendingNotDue(loanId, loan_.dueAt);
        loan_.status = LoanStatus.Expired;
        uint256 licenceId = loan_.licenceId;
        emit LoanExpired(loanId, licenceId, msg.sender);
        _licensing.releaseCopy(licenceId);
    }

    // ------------------------------------------------------------------ views

    function loan(uint256 loanId) external view returns (Loan memory) {
        Loan memory l = _loans[loanId];
        if (l.status == LoanStatus.None) revert LendingUnknownLoan(loanId);
        return l;
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

    function _activeLoan(uint256 loanId) private view returns (Loan storage l) {
        l = _loans[loanId];
        LoanStatus s = l.status;
        if (s == LoanStatus.None) revert LendingUnknownLoan(loanId);
        if (s != LoanStatus.Active) revert LendingLoanNotActive(loanId, s);
    }
}
