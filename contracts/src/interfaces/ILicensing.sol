// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title ILicensing — the copy-accounting hooks for loans made outside Licensing.
/// @dev Callable only by libledger contracts (LEDGER_ROLE): InterlibraryLoan for digital
/// interlibrary loans. Licensing's own digital loans (`checkout`) take copies internally.
/// Active loans of a licence never exceed its copies.
interface ILicensing {
    /// What the borrowing contract needs to know about the copy it took.
    struct CopyGrant {
        uint256 workId;
        uint256 termsId;
        uint16 feeBps; // platform fee snapshotted in the terms
        uint256 perLoanPrice; // fen charged per loan (0 when the licence is not metered)
        uint64 loanPeriod; // seconds
    }

    /// @notice Takes one concurrent copy of `licenceId` for a loan.
    /// Reverts unless `holder` holds the licence, it is live (not expired, not exhausted,
    /// terms enabled), a copy is free and, when `forIll`, its terms allow interlibrary loan.
    function useCopy(uint256 licenceId, address holder, bool forIll) external returns (CopyGrant memory);

    /// @notice Returns the copy taken by `useCopy`.
    function releaseCopy(uint256 licenceId) external;
}
