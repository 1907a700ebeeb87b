// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Clearing} from "../../src/Clearing.sol";
import {Credit} from "../../src/Credit.sol";
import {Cheats} from "./Cheats.sol";

/// @title ClearingHandler — random charges, period closes, settlements, withdrawals and default
/// flags for Clearing's invariant suite. It holds LEDGER_ROLE so it can post charges.
contract ClearingHandler is Cheats {
    Clearing public immutable clearing;
    Credit public immutable credit;
    address public immutable platform;
    address[4] internal libs;

    uint256 public ghostPaidIn;
    uint256 public ghostWithdrawn;
    uint256 public settles;
    uint256 public withdrawals;
    uint256 public flags;

    constructor(Clearing clearing_, Credit credit_, address platform_, address[4] memory libs_) {
        clearing = clearing_;
        credit = credit_;
        platform = platform_;
        libs = libs_;
    }

    function library_(uint256 i) external view returns (address) {
        return libs[i];
    }

    function post(uint256 seed, uint256 amount) external {
        address d = libs[seed % 4];
        address c = libs[(seed >> 4) % 4];
        if (d == c) c = libs[(seed % 4 + 1) % 4];
        amount = _bound(amount, 1, 500_00);
        clearing.post(Clearing.ChargeKind(uint8((seed >> 8) % 3)), seed, d, c, amount, amount);
    }

    function close(uint256 seed) external {
        if (seed % 3 != 0) return; // closes are rarer than charges
        vm.prank(platform);
        clearing.closePeriod();
    }

    function settle(uint256 seed) external {
        (uint256 p, address lib) = _pick(seed);
        uint256 due = clearing.amountDue(p, lib);
        vm.prank(lib);
        try clearing.settle(p) returns (uint256 amount) {
            ghostPaidIn += amount;
            settles++;
            if (amount != due) ghostPaidIn += type(uint128).max; // break the invariant loudly
        } catch {}
    }

    function withdraw(uint256 seed) external {
        (uint256 p, address lib) = _pick(seed);
        vm.prank(lib);
        try clearing.withdraw(p) returns (uint256 amount) {
            ghostWithdrawn += amount;
            withdrawals++;
        } catch {}
    }

    function flagDefault(uint256 seed) external {
        (uint256 p, address lib) = _pick(seed);
        try clearing.flagDefault(p, lib) {
            flags++;
        } catch {}
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + _bound(seconds_, 0, 10 days));
    }

    function _pick(uint256 seed) internal view returns (uint256 p, address lib) {
        uint256 current = clearing.currentPeriod();
        p = current == 1 ? 1 : 1 + seed % (current - 1); // a closed period when there is one
        lib = libs[(seed >> 8) % 4];
    }
}
