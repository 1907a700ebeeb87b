// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Consortium} from "../../src/Consortium.sol";
import {Credit} from "../../src/Credit.sol";
import {Roles} from "../../src/access/Roles.sol";

/// @dev The cheatcodes these suites use. forge-std is not installed (npm only carries an
/// unofficial 2022 build), so the tests talk to forge's cheatcode address directly; the
/// assertions are forge's own `vm.assert*` cheatcodes.
interface Vm {
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function warp(uint256 timestamp) external;
    function assume(bool condition) external pure;
    function label(address account, string calldata name) external;
    function addr(uint256 privateKey) external pure returns (address);
    function expectRevert() external;
    function expectRevert(bytes4 selector) external;
    function expectRevert(bytes calldata revertData) external;
    function expectEmit(address emitter) external;
    function load(address target, bytes32 slot) external view returns (bytes32 data);
    function assertTrue(bool condition, string calldata err) external pure;
    function assertFalse(bool condition, string calldata err) external pure;
    function assertEq(uint256 left, uint256 right, string calldata err) external pure;
    function assertEq(address left, address right, string calldata err) external pure;
    function assertEq(bytes32 left, bytes32 right, string calldata err) external pure;
    function assertEq(string calldata left, string calldata right, string calldata err) external pure;
}

/// @dev What forge reads from an invariant suite to know which contracts and functions to call.
struct FuzzSelector {
    address addr;
    bytes4[] selectors;
}

/// @dev Minimal test base: the cheatcode handle and `bound`.
abstract contract TestBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev Maps `x` into [min, max] uniformly enough for fuzzing, keeping small values as they are.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min + 1;
        if (size == 0) return x; // full range
        return min + (x % size);
    }
}

/// @title ConsortiumBase — a deployed Consortium + Credit with a governor, a treasury, a few
/// member libraries and publishers, and a LEDGER_ROLE contract account. Other suites inherit
/// it and admit further actors with `_admit`.
abstract contract ConsortiumBase is TestBase {
    uint48 internal constant ADMIN_DELAY = 2 days;

    Consortium internal consortium;
    Credit internal credit;

    address internal governor = vm.addr(0xB0A2D);
    address internal treasury = vm.addr(0x7AEA5);
    address internal libraryA = vm.addr(0x11B1);
    address internal libraryB = vm.addr(0x11B2);
    address internal publisher = vm.addr(0x9B1);
    address internal auditor = vm.addr(0xA0D1);
    /// a libledger contract account: LEDGER_ROLE, not a member
    address internal ledger = vm.addr(0x1ED6E2);
    /// never admitted
    address internal stranger = vm.addr(0x5742);

    function setUp() public virtual {
        vm.warp(1_750_000_000);
        consortium = new Consortium(governor, ADMIN_DELAY);
        credit = new Credit(consortium);
        vm.label(governor, "governor");
        vm.label(treasury, "treasury");
        vm.label(libraryA, "libraryA");
        vm.label(libraryB, "libraryB");
        vm.label(publisher, "publisher");
        vm.label(auditor, "auditor");
        vm.label(ledger, "ledger");
        vm.label(stranger, "stranger");
        vm.label(address(consortium), "Consortium");
        vm.label(address(credit), "Credit");

        _admit(treasury, "CN-PLATFORM-FIN", "Platform finance desk", _roles(Roles.TREASURY));
        _admit(libraryA, "CN-330000-ZJL", "Zhejiang Library", _roles(Roles.LIBRARY));
        _admit(libraryB, "CN-330100-HZL", "Hangzhou Public Library", _roles(Roles.LIBRARY));
        _admit(publisher, "CN-PUB-ZJPH", "Zhejiang People's Publishing House", _roles(Roles.PUBLISHER));
        _admit(auditor, "CN-AUD-01", "Provincial audit office", _roles(Roles.AUDITOR));
        vm.prank(governor);
        consortium.grantRole(Roles.LEDGER, ledger);
    }

    // ------------------------------------------------------------------ helpers

    function _admit(address account, string memory institutionId, string memory name, bytes32[] memory roles)
        internal
    {
        vm.prank(governor);
        consortium.admit(account, institutionId, name, roles);
    }

    function _suspend(address account) internal {
        vm.prank(governor);
        consortium.suspend(account, "test");
    }

    function _reinstate(address account) internal {
        vm.prank(governor);
        consortium.reinstate(account);
    }

    function _mint(address to, uint256 amount) internal {
        vm.prank(treasury);
        credit.mint(to, amount);
    }

    function _roles() internal pure returns (bytes32[] memory r) {
        r = new bytes32[](0);
    }

    function _roles(bytes32 a) internal pure returns (bytes32[] memory r) {
        r = new bytes32[](1);
        r[0] = a;
    }

    function _roles(bytes32 a, bytes32 b) internal pure returns (bytes32[] memory r) {
        r = new bytes32[](2);
        r[0] = a;
        r[1] = b;
    }

    /// @dev Every member role (LEDGER and the governor role excluded).
    function _memberRoles() internal pure returns (bytes32[] memory r) {
        r = new bytes32[](6);
        r[0] = Roles.PUBLISHER;
        r[1] = Roles.LIBRARY;
        r[2] = Roles.AUDITOR;
        r[3] = Roles.PLATFORM;
        r[4] = Roles.TREASURY;
        r[5] = Roles.SPONSOR;
    }

    /// @dev Every role a member can hold, LEDGER included.
    function _allGrantableRoles() internal pure returns (bytes32[] memory r) {
        r = new bytes32[](7);
        bytes32[] memory m = _memberRoles();
        for (uint256 i = 0; i < m.length; ++i) {
            r[i] = m[i];
        }
        r[6] = Roles.LEDGER;
    }

    /// @dev A fuzzed address that is none of the fixtures' accounts nor a precompile / cheatcode.
    function _assumeFresh(address a) internal view {
        vm.assume(uint160(a) > 0xffff);
        vm.assume(a != governor && a != treasury && a != libraryA && a != libraryB);
        vm.assume(a != publisher && a != auditor && a != ledger && a != stranger);
        vm.assume(a != address(vm) && a != address(consortium) && a != address(credit) && a != address(this));
        vm.assume(a != 0x000000000000000000636F6e736F6c652e6c6f67); // console
        vm.assume(a != 0x4e59b44847b379578588920cA78FbF26c0B4956C); // create2 deployer
    }
}
