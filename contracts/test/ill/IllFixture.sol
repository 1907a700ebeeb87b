// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Consortium} from "../../src/Consortium.sol";
import {Credit} from "../../src/Credit.sol";
import {Clearing} from "../../src/Clearing.sol";
import {InterlibraryLoan} from "../../src/InterlibraryLoan.sol";
import {Roles} from "../../src/access/Roles.sol";
import {ILicensing} from "../../src/interfaces/ILicensing.sol";
import {IRoyalties} from "../../src/interfaces/IRoyalties.sol";
import {MockLicensing} from "../mocks/MockLicensing.sol";
import {MockRoyalties} from "../mocks/MockRoyalties.sol";
import {Cheats} from "./Cheats.sol";

/// @title IllFixture — Consortium, Credit, Clearing and InterlibraryLoan wired as in
/// deploy-plan.json, with test doubles for Licensing and Royalties; four libraries
/// (A requests, B supplies, C and D take forwarded items), a platform, a treasury and an
/// outsider without roles.
abstract contract IllFixture is Cheats {
    address internal governor = address(0x60F);
    address internal libA = address(0xA11A);
    address internal libB = address(0xB11B);
    address internal libC = address(0xC11C);
    address internal libD = address(0xD11D);
    address internal platform = address(0x9A7F);
    address internal treasury = address(0x7EA5);
    address internal outsider = address(0x0B5E);

    Consortium internal consortium;
    Credit internal credit;
    Clearing internal clearing;
    InterlibraryLoan internal ill;
    MockLicensing internal licensing;
    MockRoyalties internal royalties;

    uint256 internal constant T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
    uint256 internal constant FUNDS = 1_000_000_00; // 1,000,000.00 credits per library

    function _deployFixture() internal {
        vm.warp(T0);
        consortium = new Consortium(governor, 3 days);
        credit = new Credit(consortium);
        clearing = new Clearing(consortium, credit);
        licensing = new MockLicensing();
        royalties = new MockRoyalties(credit);
        ill = new InterlibraryLoan(consortium, ILicensing(address(licensing)), IRoyalties(address(royalties)), clearing);

        vm.startPrank(governor);
        consortium.grantRole(Roles.LEDGER, address(credit));
        consortium.grantRole(Roles.LEDGER, address(clearing));
        consortium.grantRole(Roles.LEDGER, address(ill));
        consortium.grantRole(Roles.LEDGER, address(royalties));
        _admit(libA, "CN-330000-A", Roles.LIBRARY);
        _admit(libB, "CN-330000-B", Roles.LIBRARY);
        _admit(libC, "CN-330000-C", Roles.LIBRARY);
        _admit(libD, "CN-330000-D", Roles.LIBRARY);
        _admit(platform, "PLATFORM", Roles.PLATFORM);
        _admit(treasury, "TREASURY", Roles.TREASURY);
        vm.stopPrank();

        vm.startPrank(treasury);
        credit.mint(libA, FUNDS);
        credit.mint(libB, FUNDS);
        credit.mint(libC, FUNDS);
        credit.mint(libD, FUNDS);
        vm.stopPrank();

        vm.label(libA, "libA");
        vm.label(libB, "libB");
        vm.label(libC, "libC");
        vm.label(libD, "libD");
    }

    function _admit(address account, string memory isil, bytes32 role) private {
        bytes32[] memory roles = new bytes32[](1);
        roles[0] = role;
        consortium.admit(account, isil, isil, roles);
    }

    function _newRequest(address supplier, InterlibraryLoan.ServiceType service, uint256 maxCost, bytes32 ownId)
        internal
        pure
        returns (InterlibraryLoan.NewRequest memory r)
    {
        r.supplier = supplier;
        r.service = service;
        r.itemKind = InterlibraryLoan.ItemKind.Bibliographic;
        r.item = keccak256("isbn:9787020002207");
        r.maxCost = maxCost;
        r.ownId = ownId;
    }

    /// @dev libA asks libB for a physical loan with a 50.00 maximum cost.
    function _requestLoan(bytes32 ownId) internal returns (uint256 id) {
        vm.prank(libA);
        id = ill.submitRequest(_newRequest(libB, InterlibraryLoan.ServiceType.Loan, 50_00, ownId));
    }

    function _requestCopy(bytes32 ownId) internal returns (uint256 id) {
        vm.prank(libA);
        id = ill.submitRequest(_newRequest(libB, InterlibraryLoan.ServiceType.Copy, 20_00, ownId));
    }

    function _update(uint256 id, InterlibraryLoan.Status next, uint256 due, uint256 charge) internal {
        vm.prank(libB);
        ill.updateStatus(id, next, 0, 0, due, charge);
    }

    function _status(uint256 id) internal view returns (InterlibraryLoan.Status) {
        return ill.statusOf(id);
    }

    function _checkStatus(uint256 id, InterlibraryLoan.Status expected, string memory what) internal view {
        vm.assertEq(uint256(ill.statusOf(id)), uint256(expected), what);
    }
}
