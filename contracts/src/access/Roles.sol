// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Roles — the role ids of the consortium, one place for every contract.
/// @dev The governor is AccessControl's DEFAULT_ADMIN_ROLE (bytes32(0)).
/// A member's *standing* (`Consortium.standing`) packs into one word everything a role check
/// needs, read from one storage slot of the Consortium plus its pause flag:
/// bits 0–7 the member status (0 none, 1 active, 2 suspended), bit 8 + i the i-th role below,
/// bit 255 set while the Consortium is paused.
library Roles {
    bytes32 internal constant GOVERNOR = 0x00;
    bytes32 internal constant PUBLISHER = keccak256("PUBLISHER_ROLE");
    bytes32 internal constant LIBRARY = keccak256("LIBRARY_ROLE");
    bytes32 internal constant AUDITOR = keccak256("AUDITOR_ROLE");
    bytes32 internal constant PLATFORM = keccak256("PLATFORM_ROLE");
    bytes32 internal constant TREASURY = keccak256("TREASURY_ROLE");
    bytes32 internal constant SPONSOR = keccak256("SPONSOR_ROLE");
    /// libledger's own contracts: may move members' credit without an allowance and call the
    /// ledger hooks of other contracts (e.g. InterlibraryLoan → Licensing.useCopy for a digital
    /// interlibrary loan, Licensing → Royalties.payFromDeposit for a metered checkout).
    bytes32 internal constant LEDGER = keccak256("LEDGER_ROLE");

    uint256 internal constant STATUS_MASK = 0xff;
    uint256 internal constant STATUS_ACTIVE = 1;
    uint256 internal constant STATUS_SUSPENDED = 2;
    uint256 internal constant ROLE_SHIFT = 8;
    uint256 internal constant PAUSED_FLAG = 1 << 255;

    /// @notice The bit of `role` in a member's role bits (unshifted); 0 for the governor role
    /// and unknown roles, which have no bit.
    function bitOf(bytes32 role) internal pure returns (uint256) {
        if (role == LIBRARY) return 1 << 0;
        if (role == LEDGER) return 1 << 1;
        if (role == PUBLISHER) return 1 << 2;
        if (role == TREASURY) return 1 << 3;
        if (role == PLATFORM) return 1 << 4;
        if (role == SPONSOR) return 1 << 5;
        if (role == AUDITOR) return 1 << 6;
        return 0;
    }

    /// @notice True when the account with `standing` may act in `role` (not the governor role):
    /// the Consortium is not paused, the account holds the role and is an active member —
    /// or, for LEDGER, not a suspended one. Same rule as `Consortium.hasActiveRole`.
    function allows(uint256 standing, bytes32 role) internal pure returns (bool) {
        if (standing & PAUSED_FLAG != 0) return false;
        uint256 bit = bitOf(role) << ROLE_SHIFT;
        if (bit == 0 || standing & bit == 0) return false;
        uint256 status = standing & STATUS_MASK;
        if (role == LEDGER) return status != STATUS_SUSPENDED;
        return status == STATUS_ACTIVE;
    }

    /// @notice True when the account with `standing` may hold and move credit: an active member
    /// or a libledger contract (LEDGER, not suspended). Ignores the pause flag.
    function mayHoldCredit(uint256 standing) internal pure returns (bool) {
        uint256 status = standing & STATUS_MASK;
        if (status == STATUS_ACTIVE) return true;
        return status != STATUS_SUSPENDED && standing & (bitOf(LEDGER) << ROLE_SHIFT) != 0;
    }
}
