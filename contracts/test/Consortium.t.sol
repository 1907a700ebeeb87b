// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IAccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Consortium} from "../src/Consortium.sol";
import {Roles} from "../src/access/Roles.sol";
import {ConsortiumBase} from "./utils/ConsortiumBase.sol";

contract ConsortiumTest is ConsortiumBase {
    address internal newcomer = address(0xC0FFEE);

    // ------------------------------------------------------------------ helpers

    function _unauthorized(address caller) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(Consortium.ConsortiumUnauthorized.selector, caller, Roles.GOVERNOR);
    }

    function _wrongStatus(address account, Consortium.MemberStatus s) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(Consortium.ConsortiumWrongStatus.selector, account, s);
    }

    function _invalidText(uint256 n) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(Consortium.ConsortiumInvalidText.selector, n, uint256(128));
    }

    function _text(uint256 n) internal pure returns (string memory) {
        bytes memory b = new bytes(n);
        for (uint256 i = 0; i < n; ++i) {
            b[i] = "x";
        }
        return string(b);
    }

    function _pauseConsortium() internal {
        vm.prank(governor);
        consortium.pause();
    }

    // ------------------------------------------------------------------ deployment

    function test_constructor_setsGovernorAndDelay() public view {
        vm.assertEq(consortium.defaultAdmin(), governor, "default admin");
        vm.assertEq(consortium.owner(), governor, "owner");
        vm.assertEq(uint256(consortium.defaultAdminDelay()), uint256(ADMIN_DELAY), "delay");
        vm.assertTrue(consortium.hasRole(Roles.GOVERNOR, governor), "governor holds admin role");
        vm.assertEq(consortium.memberCount(), 5, "fixture members");
        vm.assertEq(consortium.platformTreasury(), address(0), "no platform treasury yet");
        vm.assertFalse(consortium.paused(), "not paused");
        vm.assertEq(consortium.getRoleAdmin(Roles.LIBRARY), Roles.GOVERNOR, "governor administers member roles");
    }

    // ------------------------------------------------------------------ admit

    function test_admit_recordsMemberRolesAndEvents() public {
        bytes32[] memory roles = _roles(Roles.LIBRARY, Roles.SPONSOR);
        vm.expectEmit(address(consortium));
        emit Consortium.MemberAdmitted(newcomer, "CN-330200-NBL", "Ningbo Library");
        vm.expectEmit(address(consortium));
        emit IAccessControl.RoleGranted(Roles.LIBRARY, newcomer, governor);
        vm.expectEmit(address(consortium));
        emit IAccessControl.RoleGranted(Roles.SPONSOR, newcomer, governor);
        _admit(newcomer, "CN-330200-NBL", "Ningbo Library", roles);

        Consortium.Member memory m = consortium.member(newcomer);
        vm.assertEq(uint256(m.status), uint256(Consortium.MemberStatus.Active), "status");
        vm.assertEq(uint256(m.admittedAt), block.timestamp, "admittedAt");
        vm.assertEq(m.institutionId, "CN-330200-NBL", "institution");
        vm.assertEq(m.name, "Ningbo Library", "name");
        vm.assertEq(m.x25519PublicKey, bytes32(0), "no key yet");
        vm.assertEq(consortium.memberByInstitution("CN-330200-NBL"), newcomer, "by institution");
        vm.assertEq(consortium.memberCount(), 6, "count");
        vm.assertTrue(consortium.isActiveMember(newcomer), "active");
        vm.assertTrue(consortium.hasActiveRole(Roles.LIBRARY, newcomer), "library");
        vm.assertTrue(consortium.hasActiveRole(Roles.SPONSOR, newcomer), "sponsor");
        vm.assertFalse(consortium.hasActiveRole(Roles.PUBLISHER, newcomer), "not publisher");
    }

    function test_admit_withoutRoles() public {
        _admit(newcomer, "CN-X", "X", _roles());
        vm.assertTrue(consortium.isActiveMember(newcomer), "member without roles");
        vm.assertFalse(consortium.hasActiveRole(Roles.LIBRARY, newcomer), "no role");
    }

    function test_admit_textAtMaximumLength() public {
        string memory t = _text(128);
        _admit(newcomer, t, t, _roles());
        vm.assertEq(consortium.member(newcomer).name, t, "128 bytes accepted");
    }

    function test_admit_revertsForNonGovernor() public {
        bytes32[] memory roles = _roles(Roles.LIBRARY);
        vm.expectRevert(_unauthorized(libraryA));
        vm.prank(libraryA);
        consortium.admit(newcomer, "CN-X", "X", roles);
    }

    function test_admit_revertsOnZeroAddress() public {
        bytes32[] memory roles = _roles();
        vm.expectRevert(Consortium.ConsortiumZeroAddress.selector);
        vm.prank(governor);
        consortium.admit(address(0), "CN-X", "X", roles);
    }

    function test_admit_revertsForExistingMember() public {
        bytes32[] memory roles = _roles();
        vm.expectRevert(abi.encodeWithSelector(Consortium.ConsortiumAlreadyMember.selector, libraryA));
        vm.prank(governor);
        consortium.admit(libraryA, "CN-OTHER", "Other", roles);
    }

    function test_admit_revertsForSuspendedMember() public {
        _suspend(libraryA);
        bytes32[] memory roles = _roles();
        vm.expectRevert(abi.encodeWithSelector(Consortium.ConsortiumAlreadyMember.selector, libraryA));
        vm.prank(governor);
        consortium.admit(libraryA, "CN-OTHER", "Other", roles);
    }

    function test_admit_revertsOnTakenInstitution() public {
        bytes32[] memory roles = _roles();
        vm.expectRevert(
            abi.encodeWithSelector(Consortium.ConsortiumInstitutionTaken.selector, "CN-330000-ZJL", libraryA)
        );
        vm.prank(governor);
        consortium.admit(newcomer, "CN-330000-ZJL", "Impostor", roles);
    }

    function test_admit_revertsOnEmptyInstitution() public {
        bytes32[] memory roles = _roles();
        vm.expectRevert(_invalidText(0));
        vm.prank(governor);
        consortium.admit(newcomer, "", "X", roles);
    }

    function test_admit_revertsOnEmptyName() public {
        bytes32[] memory roles = _roles();
        vm.expectRevert(_invalidText(0));
        vm.prank(governor);
        consortium.admit(newcomer, "CN-X", "", roles);
    }

    function test_admit_revertsOnTooLongText() public {
        bytes32[] memory roles = _roles();
        string memory t = _text(129);
        vm.expectRevert(_invalidText(129));
        vm.prank(governor);
        consortium.admit(newcomer, t, "X", roles);
        vm.expectRevert(_invalidText(129));
        vm.prank(governor);
        consortium.admit(newcomer, "CN-X", t, roles);
    }

    function test_admit_revertsWhenPaused() public {
        _pauseConsortium();
        bytes32[] memory roles = _roles();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(governor);
        consortium.admit(newcomer, "CN-X", "X", roles);
    }

    function test_admit_cannotGrantGovernorRole() public {
        bytes32[] memory roles = _roles(Roles.GOVERNOR);
        vm.expectRevert(IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminRules.selector);
        vm.prank(governor);
        consortium.admit(newcomer, "CN-X", "X", roles);
    }

    // ------------------------------------------------------------------ suspend / reinstate

    function test_suspend_endsEveryRightAndEmits() public {
        vm.expectEmit(address(consortium));
        emit Consortium.MemberSuspended(libraryA, "unpaid dues");
        vm.prank(governor);
        consortium.suspend(libraryA, "unpaid dues");

        vm.assertEq(
            uint256(consortium.member(libraryA).status), uint256(Consortium.MemberStatus.Suspended), "suspended"
        );
        vm.assertFalse(consortium.isActiveMember(libraryA), "not active");
        vm.assertTrue(consortium.hasRole(Roles.LIBRARY, libraryA), "role kept on record");
        vm.assertFalse(consortium.hasActiveRole(Roles.LIBRARY, libraryA), "but not active");
        vm.assertEq(consortium.memberCount(), 5, "count unchanged");
    }

    function test_suspend_emptyReasonAllowed() public {
        vm.prank(governor);
        consortium.suspend(libraryA, "");
        vm.assertFalse(consortium.isActiveMember(libraryA), "suspended");
    }

    function test_suspend_worksWhilePaused() public {
        _pauseConsortium();
        _suspend(libraryA);
        vm.assertFalse(consortium.isActiveMember(libraryA), "suspended while paused");
    }

    function test_suspend_revertsForNonGovernor() public {
        vm.expectRevert(_unauthorized(libraryB));
        vm.prank(libraryB);
        consortium.suspend(libraryA, "rival");
    }

    function test_suspend_revertsForNonMember() public {
        vm.expectRevert(_wrongStatus(stranger, Consortium.MemberStatus.None));
        vm.prank(governor);
        consortium.suspend(stranger, "x");
    }

    function test_suspend_revertsWhenAlreadySuspended() public {
        _suspend(libraryA);
        vm.expectRevert(_wrongStatus(libraryA, Consortium.MemberStatus.Suspended));
        vm.prank(governor);
        consortium.suspend(libraryA, "again");
    }

    function test_suspend_revertsOnTooLongReason() public {
        string memory t = _text(129);
        vm.expectRevert(_invalidText(129));
        vm.prank(governor);
        consortium.suspend(libraryA, t);
    }

    function test_reinstate_restoresRolesAndEmits() public {
        _suspend(libraryA);
        vm.expectEmit(address(consortium));
        emit Consortium.MemberReinstated(libraryA);
        vm.prank(governor);
        consortium.reinstate(libraryA);
        vm.assertTrue(consortium.isActiveMember(libraryA), "active again");
        vm.assertTrue(consortium.hasActiveRole(Roles.LIBRARY, libraryA), "roles back");
    }

    function test_reinstate_revertsForNonGovernor() public {
        _suspend(libraryA);
        vm.expectRevert(_unauthorized(libraryA));
        vm.prank(libraryA);
        consortium.reinstate(libraryA);
    }

    function test_reinstate_revertsForActiveMember() public {
        vm.expectRevert(_wrongStatus(libraryA, Consortium.MemberStatus.Active));
        vm.prank(governor);
        consortium.reinstate(libraryA);
    }

    function test_reinstate_revertsForNonMember() public {
        vm.expectRevert(_wrongStatus(stranger, Consortium.MemberStatus.None));
        vm.prank(governor);
        consortium.reinstate(stranger);
    }

    function test_reinstate_revertsWhenPaused() public {
        _suspend(libraryA);
        _pauseConsortium();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(governor);
        consortium.reinstate(libraryA);
    }

    // ------------------------------------------------------------------ member actions

    function test_rename_byMember() public {
        vm.expectEmit(address(consortium));
        emit Consortium.MemberRenamed(libraryA, unicode"浙江图书馆");
        vm.prank(libraryA);
        consortium.rename(unicode"浙江图书馆");
        vm.assertEq(consortium.member(libraryA).name, unicode"浙江图书馆", "renamed");
    }

    function test_rename_revertsForNonMember() public {
        vm.expectRevert(_wrongStatus(stranger, Consortium.MemberStatus.None));
        vm.prank(stranger);
        consortium.rename("Fake");
    }

    function test_rename_revertsForSuspendedMember() public {
        _suspend(libraryA);
        vm.expectRevert(_wrongStatus(libraryA, Consortium.MemberStatus.Suspended));
        vm.prank(libraryA);
        consortium.rename("New");
    }

    function test_rename_revertsOnBadText() public {
        vm.expectRevert(_invalidText(0));
        vm.prank(libraryA);
        consortium.rename("");
        string memory t = _text(129);
        vm.expectRevert(_invalidText(129));
        vm.prank(libraryA);
        consortium.rename(t);
    }

    function test_rename_revertsWhenPaused() public {
        _pauseConsortium();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(libraryA);
        consortium.rename("New");
    }

    function test_setEncryptionKey_byMember() public {
        bytes32 key = keccak256("x25519");
        vm.expectEmit(address(consortium));
        emit Consortium.EncryptionKeySet(libraryA, key);
        vm.prank(libraryA);
        consortium.setEncryptionKey(key);
        vm.assertEq(consortium.member(libraryA).x25519PublicKey, key, "key stored");
    }

    function test_setEncryptionKey_revertsForNonMember() public {
        vm.expectRevert(_wrongStatus(stranger, Consortium.MemberStatus.None));
        vm.prank(stranger);
        consortium.setEncryptionKey(bytes32(uint256(1)));
    }

    function test_setEncryptionKey_revertsForSuspendedMember() public {
        _suspend(libraryA);
        vm.expectRevert(_wrongStatus(libraryA, Consortium.MemberStatus.Suspended));
        vm.prank(libraryA);
        consortium.setEncryptionKey(bytes32(uint256(1)));
    }

    function test_setEncryptionKey_revertsWhenPaused() public {
        _pauseConsortium();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(libraryA);
        consortium.setEncryptionKey(bytes32(uint256(1)));
    }

    // ------------------------------------------------------------------ platform treasury

    function test_setPlatformTreasury_setsAndEmitsPrevious() public {
        vm.expectEmit(address(consortium));
        emit Consortium.PlatformTreasurySet(address(0), treasury);
        vm.prank(governor);
        consortium.setPlatformTreasury(treasury);
        vm.assertEq(consortium.platformTreasury(), treasury, "set");

        vm.expectEmit(address(consortium));
        emit Consortium.PlatformTreasurySet(treasury, newcomer);
        vm.prank(governor);
        consortium.setPlatformTreasury(newcomer);
        vm.assertEq(consortium.platformTreasury(), newcomer, "replaced");
    }

    function test_setPlatformTreasury_revertsOnZero() public {
        vm.expectRevert(Consortium.ConsortiumZeroAddress.selector);
        vm.prank(governor);
        consortium.setPlatformTreasury(address(0));
    }

    function test_setPlatformTreasury_revertsForNonGovernor() public {
        vm.expectRevert(_unauthorized(treasury));
        vm.prank(treasury);
        consortium.setPlatformTreasury(treasury);
    }

    // ------------------------------------------------------------------ pause

    function test_pause_unpause_byGovernor() public {
        vm.expectEmit(address(consortium));
        emit Pausable.Paused(governor);
        _pauseConsortium();
        vm.assertTrue(consortium.paused(), "paused");

        vm.expectEmit(address(consortium));
        emit Pausable.Unpaused(governor);
        vm.prank(governor);
        consortium.unpause();
        vm.assertFalse(consortium.paused(), "unpaused");
    }

    function test_pause_revertsForNonGovernor() public {
        vm.expectRevert(_unauthorized(auditor));
        vm.prank(auditor);
        consortium.pause();
    }

    function test_unpause_revertsForNonGovernor() public {
        _pauseConsortium();
        vm.expectRevert(_unauthorized(auditor));
        vm.prank(auditor);
        consortium.unpause();
    }

    function test_pause_revertsWhenPaused_unpauseWhenNot() public {
        vm.expectRevert(Pausable.ExpectedPause.selector);
        vm.prank(governor);
        consortium.unpause();
        _pauseConsortium();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(governor);
        consortium.pause();
    }

    // ------------------------------------------------------------------ grantRole / revokeRole

    function test_grantRole_toMember() public {
        vm.expectEmit(address(consortium));
        emit IAccessControl.RoleGranted(Roles.SPONSOR, libraryA, governor);
        vm.prank(governor);
        consortium.grantRole(Roles.SPONSOR, libraryA);
        vm.assertTrue(consortium.hasActiveRole(Roles.SPONSOR, libraryA), "granted");
    }

    function test_grantRole_toSuspendedMember_inactiveUntilReinstated() public {
        _suspend(libraryA);
        vm.prank(governor);
        consortium.grantRole(Roles.PUBLISHER, libraryA);
        vm.assertTrue(consortium.hasRole(Roles.PUBLISHER, libraryA), "on record");
        vm.assertFalse(consortium.hasActiveRole(Roles.PUBLISHER, libraryA), "inactive while suspended");
        _reinstate(libraryA);
        vm.assertTrue(consortium.hasActiveRole(Roles.PUBLISHER, libraryA), "active after reinstate");
    }

    function test_grantRole_memberRoleNeedsMember() public {
        vm.expectRevert(
            abi.encodeWithSelector(Consortium.ConsortiumRoleNeedsMember.selector, stranger, Roles.LIBRARY)
        );
        vm.prank(governor);
        consortium.grantRole(Roles.LIBRARY, stranger);
    }

    function test_grantRole_ledgerNeedsNoMembership() public {
        vm.prank(governor);
        consortium.grantRole(Roles.LEDGER, stranger);
        vm.assertTrue(consortium.hasActiveRole(Roles.LEDGER, stranger), "ledger contract");
        vm.assertFalse(consortium.isActiveMember(stranger), "not a member");
    }

    function test_grantRole_cannotGrantGovernor() public {
        vm.expectRevert(IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminRules.selector);
        vm.prank(governor);
        consortium.grantRole(Roles.GOVERNOR, libraryA);
    }

    function test_grantRole_revertsForNonGovernor() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, libraryA, Roles.GOVERNOR)
        );
        vm.prank(libraryA);
        consortium.grantRole(Roles.TREASURY, libraryA);
    }

    function test_revokeRole_removesRight() public {
        vm.expectEmit(address(consortium));
        emit IAccessControl.RoleRevoked(Roles.LIBRARY, libraryA, governor);
        vm.prank(governor);
        consortium.revokeRole(Roles.LIBRARY, libraryA);
        vm.assertFalse(consortium.hasRole(Roles.LIBRARY, libraryA), "revoked");
        vm.assertFalse(consortium.hasActiveRole(Roles.LIBRARY, libraryA), "inactive");
        vm.assertTrue(consortium.isActiveMember(libraryA), "still a member");
    }

    function test_revokeRole_revertsForNonGovernor() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, libraryB, Roles.GOVERNOR)
        );
        vm.prank(libraryB);
        consortium.revokeRole(Roles.LIBRARY, libraryA);
    }

    function test_revokeRole_cannotRevokeGovernor() public {
        vm.expectRevert(IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminRules.selector);
        vm.prank(governor);
        consortium.revokeRole(Roles.GOVERNOR, governor);
    }

    function test_renounceRole_byMember() public {
        vm.prank(libraryA);
        consortium.renounceRole(Roles.LIBRARY, libraryA);
        vm.assertFalse(consortium.hasActiveRole(Roles.LIBRARY, libraryA), "renounced");
    }

    // ------------------------------------------------------------------ hasActiveRole

    function test_hasActiveRole_governor() public view {
        vm.assertTrue(consortium.hasActiveRole(Roles.GOVERNOR, governor), "governor");
        vm.assertFalse(consortium.hasActiveRole(Roles.GOVERNOR, libraryA), "member is not governor");
        vm.assertFalse(consortium.hasActiveRole(Roles.LIBRARY, governor), "governor holds no member role");
    }

    function test_hasActiveRole_ledger() public view {
        vm.assertTrue(consortium.hasActiveRole(Roles.LEDGER, ledger), "ledger contract");
        vm.assertFalse(consortium.hasActiveRole(Roles.LIBRARY, ledger), "only its own role");
        vm.assertFalse(consortium.hasActiveRole(Roles.LEDGER, libraryA), "member without ledger role");
    }

    function test_hasActiveRole_member() public view {
        vm.assertTrue(consortium.hasActiveRole(Roles.LIBRARY, libraryA), "library");
        vm.assertTrue(consortium.hasActiveRole(Roles.TREASURY, treasury), "treasury");
        vm.assertFalse(consortium.hasActiveRole(Roles.TREASURY, libraryA), "role not held");
    }

    function test_hasActiveRole_stranger() public view {
        bytes32[] memory all = _allGrantableRoles();
        for (uint256 i = 0; i < all.length; ++i) {
            vm.assertFalse(consortium.hasActiveRole(all[i], stranger), "stranger has no role");
        }
        vm.assertFalse(consortium.hasActiveRole(Roles.GOVERNOR, stranger), "nor governor");
    }

    function test_hasActiveRole_suspendedMember() public {
        _suspend(treasury);
        vm.assertFalse(consortium.hasActiveRole(Roles.TREASURY, treasury), "suspended treasury");
    }

    /// A suspended member that also holds LEDGER_ROLE loses it too ("every write right at once").
    function test_hasActiveRole_suspendedMemberLosesLedgerRole() public {
        vm.prank(governor);
        consortium.grantRole(Roles.LEDGER, libraryA);
        vm.assertTrue(consortium.hasActiveRole(Roles.LEDGER, libraryA), "active before");
        _suspend(libraryA);
        vm.assertFalse(consortium.hasActiveRole(Roles.LEDGER, libraryA), "lost on suspension");
        _reinstate(libraryA);
        vm.assertTrue(consortium.hasActiveRole(Roles.LEDGER, libraryA), "back on reinstatement");
    }

    /// While paused only the governor acts (NatSpec of hasActiveRole).
    function test_hasActiveRole_paused() public {
        _pauseConsortium();
        vm.assertTrue(consortium.hasActiveRole(Roles.GOVERNOR, governor), "governor still acts");
        vm.assertFalse(consortium.hasActiveRole(Roles.LIBRARY, libraryA), "member paused");
        vm.assertFalse(consortium.hasActiveRole(Roles.TREASURY, treasury), "treasury paused");
        vm.assertFalse(consortium.hasActiveRole(Roles.LEDGER, ledger), "ledger contract paused");
        vm.prank(governor);
        consortium.unpause();
        vm.assertTrue(consortium.hasActiveRole(Roles.LIBRARY, libraryA), "member back");
        vm.assertTrue(consortium.hasActiveRole(Roles.LEDGER, ledger), "ledger back");
    }

    // ------------------------------------------------------------------ governor hand-over

    function test_defaultAdminHandOver_waitsForDelay() public {
        address board = address(0xB0A2D2);
        uint48 schedule = uint48(block.timestamp) + ADMIN_DELAY;

        vm.expectEmit(address(consortium));
        emit IAccessControlDefaultAdminRules.DefaultAdminTransferScheduled(board, schedule);
        vm.prank(governor);
        consortium.beginDefaultAdminTransfer(board);
        (address pending, uint48 at) = consortium.pendingDefaultAdmin();
        vm.assertEq(pending, board, "pending");
        vm.assertEq(uint256(at), uint256(schedule), "schedule");

        // the old governor still governs until the hand-over completes
        _admit(newcomer, "CN-X", "X", _roles());

        vm.expectRevert(
            abi.encodeWithSelector(IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminDelay.selector, schedule)
        );
        vm.prank(board);
        consortium.acceptDefaultAdminTransfer();

        vm.warp(uint256(schedule) + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, libraryA)
        );
        vm.prank(libraryA);
        consortium.acceptDefaultAdminTransfer();

        vm.expectEmit(address(consortium));
        emit IAccessControl.RoleRevoked(Roles.GOVERNOR, governor, board);
        vm.expectEmit(address(consortium));
        emit IAccessControl.RoleGranted(Roles.GOVERNOR, board, board);
        vm.prank(board);
        consortium.acceptDefaultAdminTransfer();

        vm.assertEq(consortium.defaultAdmin(), board, "new governor");
        vm.assertTrue(consortium.hasActiveRole(Roles.GOVERNOR, board), "board governs");
        vm.assertFalse(consortium.hasActiveRole(Roles.GOVERNOR, governor), "old governor does not");

        vm.expectRevert(_unauthorized(governor));
        vm.prank(governor);
        consortium.suspend(newcomer, "x");

        vm.prank(board);
        consortium.suspend(newcomer, "x");
        vm.assertFalse(consortium.isActiveMember(newcomer), "board suspended");
    }

    function test_defaultAdminHandOver_cancel() public {
        address board = address(0xB0A2D2);
        vm.prank(governor);
        consortium.beginDefaultAdminTransfer(board);
        vm.expectEmit(address(consortium));
        emit IAccessControlDefaultAdminRules.DefaultAdminTransferCanceled();
        vm.prank(governor);
        consortium.cancelDefaultAdminTransfer();
        vm.warp(block.timestamp + ADMIN_DELAY + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, board)
        );
        vm.prank(board);
        consortium.acceptDefaultAdminTransfer();
        vm.assertEq(consortium.defaultAdmin(), governor, "unchanged");
    }

    function test_defaultAdminHandOver_onlyGovernorBegins() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, libraryA, Roles.GOVERNOR)
        );
        vm.prank(libraryA);
        consortium.beginDefaultAdminTransfer(libraryA);
    }

    // ------------------------------------------------------------------ multicall

    function test_multicall_governorBatches() public {
        bytes[] memory calls = new bytes[](2);
        calls[0] = abi.encodeCall(Consortium.admit, (newcomer, "CN-X", "X", _roles(Roles.LIBRARY)));
        calls[1] = abi.encodeCall(Consortium.setPlatformTreasury, (treasury));
        vm.prank(governor);
        consortium.multicall(calls);
        vm.assertTrue(consortium.hasActiveRole(Roles.LIBRARY, newcomer), "admitted in batch");
        vm.assertEq(consortium.platformTreasury(), treasury, "treasury in batch");
    }

    function test_multicall_keepsCallerForAuth() public {
        bytes[] memory calls = new bytes[](1);
        calls[0] = abi.encodeCall(Consortium.pause, ());
        vm.expectRevert(_unauthorized(libraryA));
        vm.prank(libraryA);
        consortium.multicall(calls);
    }

    // ------------------------------------------------------------------ fuzz

    /// Any caller other than the governor, member or not, holding any roles, is refused by
    /// every governor function.
    function testFuzz_nonGovernorCannotCallGovernorFunctions(address caller, uint8 roleMask, bool makeMember)
        public
    {
        vm.assume(caller != governor && caller != address(0));
        _assumeFresh(caller);
        if (makeMember) {
            _admit(caller, "CN-FUZZ", "Fuzz", _rolesFromMask(roleMask));
        }
        bytes32[] memory roles = _roles(Roles.LIBRARY);
        bytes memory denied = _unauthorized(caller);
        bytes memory deniedAc =
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, Roles.GOVERNOR);

        vm.startPrank(caller);
        vm.expectRevert(denied);
        consortium.admit(newcomer, "CN-X", "X", roles);
        vm.expectRevert(denied);
        consortium.suspend(libraryA, "x");
        vm.expectRevert(denied);
        consortium.reinstate(libraryA);
        vm.expectRevert(denied);
        consortium.setPlatformTreasury(caller);
        vm.expectRevert(denied);
        consortium.pause();
        vm.expectRevert(denied);
        consortium.unpause();
        vm.expectRevert(deniedAc);
        consortium.grantRole(Roles.TREASURY, libraryA);
        vm.expectRevert(deniedAc);
        consortium.revokeRole(Roles.LIBRARY, libraryA);
        vm.expectRevert(deniedAc);
        consortium.beginDefaultAdminTransfer(caller);
        vm.expectRevert(deniedAc);
        consortium.changeDefaultAdminDelay(0);
        vm.stopPrank();

        vm.assertEq(consortium.defaultAdmin(), governor, "governor unchanged");
        vm.assertFalse(consortium.hasActiveRole(Roles.GOVERNOR, caller), "caller never governor");
    }

    /// A suspended member loses every role it holds at once, LEDGER_ROLE included, and every
    /// member write; reinstatement gives them back.
    function testFuzz_suspendedMemberLosesEveryRight(address account, uint8 roleMask) public {
        _assumeFresh(account);
        bytes32[] memory held = _rolesFromMask(roleMask);
        _admit(account, "CN-FUZZ", "Fuzz", held);
        vm.prank(governor);
        consortium.grantRole(Roles.LEDGER, account);
        bytes32[] memory all = _allGrantableRoles();

        for (uint256 i = 0; i < held.length; ++i) {
            vm.assertTrue(consortium.hasActiveRole(held[i], account), "active before");
        }
        _suspend(account);
        for (uint256 i = 0; i < all.length; ++i) {
            vm.assertFalse(consortium.hasActiveRole(all[i], account), "no role while suspended");
        }
        vm.assertFalse(consortium.hasActiveRole(Roles.GOVERNOR, account), "never governor");
        vm.expectRevert(_wrongStatus(account, Consortium.MemberStatus.Suspended));
        vm.prank(account);
        consortium.rename("New");
        vm.expectRevert(_wrongStatus(account, Consortium.MemberStatus.Suspended));
        vm.prank(account);
        consortium.setEncryptionKey(bytes32(uint256(roleMask)));

        _reinstate(account);
        for (uint256 i = 0; i < held.length; ++i) {
            vm.assertTrue(consortium.hasActiveRole(held[i], account), "active after reinstate");
        }
    }

    /// An account never admitted holds no role at all, whatever the role id.
    function testFuzz_strangerHasNoActiveRole(address account, bytes32 role) public view {
        _assumeFresh(account);
        vm.assertFalse(consortium.hasActiveRole(role, account), "stranger");
    }

    /// Every member role needs a member; LEDGER_ROLE does not.
    function testFuzz_grantRoleNeedsMember(address account, uint8 roleIndex) public {
        _assumeFresh(account);
        vm.assume(account != newcomer);
        bytes32[] memory all = _allGrantableRoles();
        bytes32 role = all[bound(roleIndex, 0, all.length - 1)];
        if (role == Roles.LEDGER) {
            vm.prank(governor);
            consortium.grantRole(role, account);
            vm.assertTrue(consortium.hasActiveRole(role, account), "ledger granted");
        } else {
            vm.expectRevert(abi.encodeWithSelector(Consortium.ConsortiumRoleNeedsMember.selector, account, role));
            vm.prank(governor);
            consortium.grantRole(role, account);
        }
    }

    /// Texts of 1..128 bytes are accepted, all others refused.
    function testFuzz_admitTextBounds(uint256 length) public {
        length = bound(length, 0, 300);
        string memory t = _text(length);
        bytes32[] memory roles = _roles();
        if (length == 0 || length > 128) {
            vm.expectRevert(_invalidText(length));
        }
        vm.prank(governor);
        consortium.admit(newcomer, "CN-X", t, roles);
    }

    function _rolesFromMask(uint8 mask) internal pure returns (bytes32[] memory r) {
        bytes32[] memory m = _memberRoles();
        uint256 n;
        for (uint256 i = 0; i < m.length; ++i) {
            if (mask & (1 << i) != 0) ++n;
        }
        r = new bytes32[](n);
        n = 0;
        for (uint256 i = 0; i < m.length; ++i) {
            if (mask & (1 << i) != 0) r[n++] = m[i];
        }
    }

    // ------------------------------------------------------------------ standing (one-slot role checks)

    /// @dev Every role with a bit in `standing`.
    function _bitRoles() internal pure returns (bytes32[7] memory r) {
        r = [Roles.PUBLISHER, Roles.LIBRARY, Roles.AUDITOR, Roles.PLATFORM, Roles.TREASURY, Roles.SPONSOR, Roles.LEDGER];
    }

    function _assertStandingAgrees(address account) internal view {
        uint256 word = consortium.standing(account);
        bytes32[7] memory roles = _bitRoles();
        for (uint256 i = 0; i < roles.length; ++i) {
            vm.assertEq(
                Roles.allows(word, roles[i]) ? 1 : 0,
                consortium.hasActiveRole(roles[i], account) ? 1 : 0,
                "standing and hasActiveRole disagree"
            );
        }
        vm.assertEq(word & Roles.STATUS_MASK, uint256(consortium.member(account).status), "status byte");
        vm.assertEq(word & Roles.PAUSED_FLAG == 0 ? 0 : 1, consortium.paused() ? 1 : 0, "pause flag");
    }

    function test_standing_packsStatusRolesAndPause() public {
        uint256 word = consortium.standing(libraryA);
        vm.assertEq(word & Roles.STATUS_MASK, Roles.STATUS_ACTIVE, "active");
        vm.assertTrue(Roles.allows(word, Roles.LIBRARY), "library role");
        vm.assertFalse(Roles.allows(word, Roles.PUBLISHER), "no publisher role");
        vm.assertFalse(Roles.allows(word, Roles.GOVERNOR), "the governor role has no bit");
        vm.assertTrue(Roles.allows(consortium.standing(ledger), Roles.LEDGER), "ledger contract");
        vm.assertEq(consortium.standing(stranger), 0, "stranger: nothing");

        _pauseConsortium();
        word = consortium.standing(libraryA);
        vm.assertTrue(word & Roles.PAUSED_FLAG != 0, "pause flag set");
        vm.assertFalse(Roles.allows(word, Roles.LIBRARY), "no role while paused");
        vm.assertFalse(Roles.allows(consortium.standing(ledger), Roles.LEDGER), "not even LEDGER");
        (uint256 a, uint256 b) = consortium.standings(libraryA, ledger);
        vm.assertEq(a, consortium.standing(libraryA), "standings first");
        vm.assertEq(b, consortium.standing(ledger), "standings second");
    }

    /// Whatever the governor does to an account (grant, revoke, renounce, suspend, reinstate,
    /// pause), its one-slot `standing` answers every role check as `hasActiveRole` does.
    function testFuzz_standingAgreesWithHasActiveRole(uint256 seed, bool asMember) public {
        address account = newcomer;
        if (asMember) _admit(account, "CN-FUZZ-STANDING", "Fuzz", _roles());
        bytes32[7] memory roles = _bitRoles();
        _assertStandingAgrees(account);
        for (uint256 step = 0; step < 12; ++step) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            bytes32 role = roles[(r >> 8) % roles.length];
            uint256 op = r % 6;
            Consortium.MemberStatus s = consortium.member(account).status;
            if (op == 0) {
                if (s != Consortium.MemberStatus.None || role == Roles.LEDGER) {
                    vm.prank(governor);
                    consortium.grantRole(role, account);
                }
            } else if (op == 1) {
                vm.prank(governor);
                consortium.revokeRole(role, account);
            } else if (op == 2) {
                vm.prank(account);
                consortium.renounceRole(role, account);
            } else if (op == 3) {
                if (s == Consortium.MemberStatus.Active) _suspend(account);
            } else if (op == 4) {
                if (s == Consortium.MemberStatus.Suspended && !consortium.paused()) _reinstate(account);
            } else {
                bool wasPaused = consortium.paused();
                vm.prank(governor);
                if (wasPaused) consortium.unpause();
                else consortium.pause();
            }
            _assertStandingAgrees(account);
        }
    }
}
