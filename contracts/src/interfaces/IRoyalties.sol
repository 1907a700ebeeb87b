// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title IRoyalties — the one payment entry of libledger: every payment for a work runs the
/// 70/30 split here (fee = floor(gross * feeBps / 10000) to the platform treasury, the rest to
/// the work's payees by bps, integer remainder to the first payee; escrow while disputed).
/// @dev Callable only by libledger contracts (LEDGER_ROLE). Amounts are credit minor units (fen).
interface IRoyalties {
    /// What a payment pays for; carried in events so payouts can be itemised.
    enum PaymentRef {
        None,
        Licence, // acquire / subscription renewal: refId = licenceId
        DigitalLoan, // metered checkout: refId = loanId
        IllRequest // digital ILL per-loan fee: refId = ILL request id
    }

    /// @notice Pulls `gross` fen from `payer` and credits the split for `workId`.
    /// @param feeBps the platform fee snapshotted in the licence terms (3,000 = 30%).
    /// @return fee the platform's share in fen.
    function pay(
        address payer,
        uint256 workId,
        uint256 termsId,
        uint16 feeBps,
        PaymentRef refKind,
        uint256 refId,
        uint256 gross
    ) external returns (uint256 fee);
}
