// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Roles — the role ids of the consortium, one place for every contract.
/// @dev The governor is AccessControl's DEFAULT_ADMIN_ROLE (bytes32(0)).
library Roles {
    bytes32 internal constant GOVERNOR = 0x00;
    bytes32 internal constant PUBLISHER = keccak256("PUBLISHER_ROLE");
    bytes32 internal constant LIBRARY = keccak256("LIBRARY_ROLE");
    bytes32 internal constant AUDITOR = keccak256("AUDITOR_ROLE");
    bytes32 internal constant PLATFORM = keccak256("PLATFORM_ROLE");
    bytes32 internal constant TREASURY = keccak256("TREASURY_ROLE");
    bytes32 internal constant SPONSOR = keccak256("SPONSOR_ROLE");
    /// libledger's own contracts: may move members' credit without an allowance and call the
    /// ledger hooks of other contracts (e.g. Lending → Licensing.useCopy).
    bytes32 internal constant LEDGER = keccak256("LEDGER_ROLE");
}
