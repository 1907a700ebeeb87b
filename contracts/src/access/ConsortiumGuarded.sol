// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {Consortium} from "../Consortium.sol";
import {Roles} from "./Roles.sol";

/// @title ConsortiumGuarded — role checks against the Consortium, governor pause, Multicall.
/// @notice Every libledger contract inherits this: each state-changing function names the role
/// it needs with `onlyRole(Roles.X)`; a suspended member fails every check at once.
abstract contract ConsortiumGuarded is Pausable, Multicall {
    Consortium internal immutable _consortium;

    /// `account` lacks `role` (or is suspended, or not a member).
    error Unauthorized(address account, bytes32 role);

    constructor(Consortium consortium_) {
        _consortium = consortium_;
    }

    modifier onlyRole(bytes32 role) {
        _checkRole(role, msg.sender);
        _;
    }

    function consortium() external view returns (Consortium) {
        return _consortium;
    }

    /// @notice Governor stops every state change of this contract (reads keep working).
    function pause() external onlyRole(Roles.GOVERNOR) {
        _pause();
    }

    function unpause() external onlyRole(Roles.GOVERNOR) {
        _unpause();
    }

    function _checkRole(bytes32 role, address account) internal view {
        if (!_hasRole(role, account)) revert Unauthorized(account, role);
    }

    /// @dev The governor role asks `hasActiveRole`; every other role is decided from the
    /// account's one-slot `standing` (same rule, fewer storage reads).
    function _hasRole(bytes32 role, address account) internal view returns (bool) {
        if (role == Roles.GOVERNOR) return _consortium.hasActiveRole(role, account);
        return Roles.allows(_consortium.standing(account), role);
    }
}
