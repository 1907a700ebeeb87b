// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {Roles} from "./access/Roles.sol";

/// @title Consortium — member registry and roles of the libledger consortium.
/// @notice The governor (the single default admin, a multisig in production) admits and
/// suspends members and grants their roles. A suspended member keeps its roles on record but
/// loses every write right at once: all libledger contracts ask `standing` (one slot per
/// account: status and role bits) or `hasActiveRole`, which agree.
/// Contract accounts of libledger itself hold `LEDGER_ROLE` without being members.
contract Consortium is AccessControlDefaultAdminRules, Pausable, Multicall {
    enum MemberStatus {
        None,
        Active,
        Suspended
    }

    struct Member {
        MemberStatus status;
        uint64 admittedAt;
        bytes32 x25519PublicKey;
        string institutionId;
        string name;
    }

    /// Stored member: as `Member`, plus the member's role bits (`Roles.bitOf`) in the first
    /// slot, so one slot answers every role check (`standing`).
    struct MemberRecord {
        MemberStatus status;
        uint64 admittedAt;
        uint64 roleBits;
        bytes32 x25519PublicKey;
        string institutionId;
        string name;
    }

    uint256 public constant MAX_TEXT_BYTES = 128;

    mapping(address account => MemberRecord) private _members;
    mapping(bytes32 institutionHash => address) private _byInstitution;
    /// The platform treasury and the pause flag share a slot: a payment reads both.
    address private _platformTreasury;
    bool private _halted;
    uint256 private _memberCount;

    error ConsortiumZeroAddress();
    error ConsortiumAlreadyMember(address account);
    error ConsortiumNotMember(address account);
    error ConsortiumInstitutionTaken(string institutionId, address holder);
    error ConsortiumInvalidText(uint256 length, uint256 maxLength);
    error ConsortiumWrongStatus(address account, MemberStatus status);
    error ConsortiumUnauthorized(address account, bytes32 role);
    error ConsortiumRoleNeedsMember(address account, bytes32 role);

    event MemberAdmitted(address indexed account, string institutionId, string name);
    event MemberSuspended(address indexed account, string reason);
    event MemberReinstated(address indexed account);
    event MemberRenamed(address indexed account, string name);
    event EncryptionKeySet(address indexed account, bytes32 x25519PublicKey);
    event PlatformTreasurySet(address indexed previous, address indexed current);

    /// @param governor the consortium board's account (default admin).
    /// @param adminDelay seconds a governor hand-over must wait (OpenZeppelin DefaultAdminRules).
    constructor(address governor, uint48 adminDelay) AccessControlDefaultAdminRules(adminDelay, governor) {}

    modifier onlyGovernor() {
        if (msg.sender != defaultAdmin()) revert ConsortiumUnauthorized(msg.sender, DEFAULT_ADMIN_ROLE);
        _;
    }

    // ------------------------------------------------------------------ governor actions

    /// @notice Admits `account` as an active member with `roles` (role ids from `Roles`).
    function admit(address account, string calldata institutionId, string calldata name, bytes32[] calldata roles)
        external
        onlyGovernor
        whenNotPaused
    {
        if (account == address(0)) revert ConsortiumZeroAddress();
        if (_members[account].status != MemberStatus.None) revert ConsortiumAlreadyMember(account);
        _checkText(institutionId, 1);
        _checkText(name, 1);
        bytes32 key = keccak256(bytes(institutionId));
        address holder = _byInstitution[key];
        if (holder != address(0)) revert ConsortiumInstitutionTaken(institutionId, holder);
        _byInstitution[key] = account;
        MemberRecord storage m = _members[account];
        m.status = MemberStatus.Active;
        m.admittedAt = uint64(block.timestamp);
        m.institutionId = institutionId;
        m.name = name;
        unchecked {
            // bounded by the number of addresses
            ++_memberCount;
        }
        emit MemberAdmitted(account, institutionId, name);
        for (uint256 i = 0; i < roles.length; ++i) {
            _grantRole(roles[i], account);
        }
    }

    /// @notice Suspends an active member: every write right ends at once.
    function suspend(address account, string calldata reason) external onlyGovernor {
        _checkText(reason, 0);
        MemberStatus s = _members[account].status;
        if (s != MemberStatus.Active) revert ConsortiumWrongStatus(account, s);
        _members[account].status = MemberStatus.Suspended;
        emit MemberSuspended(account, reason);
    }

    /// @notice Reinstates a suspended member with the roles it had.
    function reinstate(address account) external onlyGovernor whenNotPaused {
        MemberStatus s = _members[account].status;
        if (s != MemberStatus.Suspended) revert ConsortiumWrongStatus(account, s);
        _members[account].status = MemberStatus.Active;
        emit MemberReinstated(account);
    }

    /// @notice Sets the account that receives the platform's 30% fee.
    function setPlatformTreasury(address treasury) external onlyGovernor {
        if (treasury == address(0)) revert ConsortiumZeroAddress();
        address previous = _platformTreasury;
        _platformTreasury = treasury;
        emit PlatformTreasurySet(previous, treasury);
    }

    function pause() external onlyGovernor {
        _pause();
    }

    function unpause() external onlyGovernor {
        _unpause();
    }

    // ------------------------------------------------------------------ member actions

    /// @notice A member changes its own display name.
    function rename(string calldata name) external whenNotPaused {
        _checkActive(msg.sender);
        _checkText(name, 1);
        _members[msg.sender].name = name;
        emit MemberRenamed(msg.sender, name);
    }

    /// @notice A member publishes its X25519 public key; content keys of loans are sealed to it.
    function setEncryptionKey(bytes32 x25519PublicKey) external whenNotPaused {
        _checkActive(msg.sender);
        _members[msg.sender].x25519PublicKey = x25519PublicKey;
        emit EncryptionKeySet(msg.sender, x25519PublicKey);
    }

    // ------------------------------------------------------------------ views

    /// @notice True when `account` may act in `role` now: the governor, a libledger contract
    /// holding LEDGER_ROLE, or an active member holding the role. Always false while paused,
    /// except for the governor.
    function hasActiveRole(bytes32 role, address account) public view returns (bool) {
        if (role == DEFAULT_ADMIN_ROLE) return account == defaultAdmin();
        if (paused() || !hasRole(role, account)) return false;
        MemberStatus s = _members[account].status;
        // LEDGER_ROLE needs no membership, but a suspended member loses it like any other role
        if (role == Roles.LEDGER) return s != MemberStatus.Suspended;
        return s == MemberStatus.Active;
    }

    function isActiveMember(address account) public view returns (bool) {
        return _members[account].status == MemberStatus.Active;
    }

    function member(address account) external view returns (Member memory) {
        MemberRecord storage m = _members[account];
        return Member(m.status, m.admittedAt, m.x25519PublicKey, m.institutionId, m.name);
    }

    /// @notice Everything a role check on `account` needs, in one word (layout in `Roles`):
    /// member status, role bits, and the Consortium's pause flag. Two storage reads.
    function standing(address account) public view returns (uint256 word) {
        word = _standing(account);
    }

    /// @notice `standing` of two accounts in one call (a credit transfer's sender and recipient).
    function standings(address a, address b) external view returns (uint256 wordA, uint256 wordB) {
        wordA = _standing(a);
        wordB = _standing(b);
    }

    /// @notice True while the consortium is paused: every role check fails (but the governor's)
    /// and no credit moves.
    function paused() public view override returns (bool) {
        return _halted;
    }

    function memberByInstitution(string calldata institutionId) external view returns (address) {
        return _byInstitution[keccak256(bytes(institutionId))];
    }

    function platformTreasury() external view returns (address) {
        return _platformTreasury;
    }

    function memberCount() external view returns (uint256) {
        return _memberCount;
    }

    // ------------------------------------------------------------------ internals

    /// @dev Member roles may only be held by members; LEDGER_ROLE and the admin role are exempt.
    /// Keeps the role bits of `standing` in step with AccessControl's record.
    function _grantRole(bytes32 role, address account) internal override returns (bool granted) {
        if (role != DEFAULT_ADMIN_ROLE && role != Roles.LEDGER && _members[account].status == MemberStatus.None) {
            revert ConsortiumRoleNeedsMember(account, role);
        }
        granted = super._grantRole(role, account);
        uint256 bit = Roles.bitOf(role);
        // forge-lint: disable-next-line(unsafe-typecast)
        if (granted && bit != 0) _members[account].roleBits |= uint64(bit);
    }

    function _revokeRole(bytes32 role, address account) internal override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        uint256 bit = Roles.bitOf(role);
        // forge-lint: disable-next-line(unsafe-typecast)
        if (revoked && bit != 0) _members[account].roleBits &= ~uint64(bit);
    }

    function _pause() internal override whenNotPaused {
        _halted = true;
        emit Paused(_msgSender());
    }

    function _unpause() internal override whenPaused {
        _halted = false;
        emit Unpaused(_msgSender());
    }

    function _standing(address account) private view returns (uint256 word) {
        MemberRecord storage m = _members[account];
        word = uint256(m.status) | (uint256(m.roleBits) << Roles.ROLE_SHIFT);
        if (_halted) word |= Roles.PAUSED_FLAG;
    }

    function _checkActive(address account) private view {
        MemberStatus s = _members[account].status;
        if (s != MemberStatus.Active) revert ConsortiumWrongStatus(account, s);
    }

    function _checkText(string calldata text, uint256 minLength) private pure {
        uint256 n = bytes(text).length;
        if (n < minLength || n > MAX_TEXT_BYTES) revert ConsortiumInvalidText(n, MAX_TEXT_BYTES);
    }
}
