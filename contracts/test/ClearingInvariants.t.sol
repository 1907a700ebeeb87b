// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Clearing} from "../src/Clearing.sol";
import {Roles} from "../src/access/Roles.sol";
import {IllFixture} from "./ill/IllFixture.sol";
import {ClearingHandler} from "./ill/ClearingHandler.sol";

/// Clearing invariants over random charges, closes, settlements, withdrawals and flags:
/// every period's nets sum to zero and `owed` is the sum of its debts; credits are conserved
/// (credit held by Clearing = paid in − withdrawn, per period and in total; members' and
/// Clearing's balances add up to the supply); no period pays out more than came in.
contract ClearingInvariantsTest is IllFixture {
    ClearingHandler internal handler;

    function setUp() public {
        _deployFixture();
        handler = new ClearingHandler(clearing, credit, platform, [libA, libB, libC, libD]);
        vm.prank(governor);
        consortium.grantRole(Roles.LEDGER, address(handler));
    }

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(handler);
    }

    /// @dev The handler is not vacuous: a fixed random walk settles, withdraws and flags.
    function test_handlerReachesSettleWithdrawAndFlag() public {
        for (uint256 i = 0; i < 300; ++i) {
            uint256 r = uint256(keccak256(abi.encode(i)));
            uint256 op = r % 6;
            if (op == 0) handler.post(r >> 8, r >> 40);
            else if (op == 1) handler.close(r >> 8);
            else if (op == 2) handler.settle(r >> 8);
            else if (op == 3) handler.withdraw(r >> 8);
            else if (op == 4) handler.flagDefault(r >> 8);
            else handler.warp(r >> 8);
        }
        vm.assertGt(handler.settles(), 0, "settles");
        vm.assertGt(handler.withdrawals(), 0, "withdrawals");
        vm.assertGt(handler.flags(), 0, "default flags");
        invariant_netsSumToZero_andCreditsConserved();
    }

    function invariant_netsSumToZero_andCreditsConserved() public view {
        address[4] memory libs = [libA, libB, libC, libD];
        uint256 current = clearing.currentPeriod();
        uint256 held;
        for (uint256 p = 1; p <= current; ++p) {
            Clearing.Period memory per = clearing.period(p);
            int256 sum;
            uint256 debts;
            for (uint256 i = 0; i < 4; ++i) {
                Clearing.Position memory pos = clearing.position(p, libs[i]);
                sum += pos.net;
                uint256 abs = pos.net < 0 ? uint256(-int256(pos.net)) : uint256(int256(pos.net));
                if (pos.net < 0) debts += abs;
                vm.assertLe(pos.settled, abs, "settled within |net|");
            }
            vm.assertEq(sum, 0, "period nets sum to zero");
            vm.assertEq(uint256(per.owed), debts, "owed = sum of debts");
            vm.assertLe(per.withdrawn, per.paidIn, "never pays out more than came in");
            vm.assertLe(per.paidIn, per.owed, "never takes more than owed");
            held += per.paidIn - per.withdrawn;
        }
        vm.assertEq(clearing.heldCredit(), held, "held = sum over periods");
        vm.assertEq(credit.balanceOf(address(clearing)), held, "credit held = paid in - withdrawn");
        vm.assertEq(handler.ghostPaidIn() - handler.ghostWithdrawn(), held, "ghost flows");
        uint256 total = credit.balanceOf(address(clearing));
        for (uint256 i = 0; i < 4; ++i) {
            total += credit.balanceOf(libs[i]);
        }
        vm.assertEq(total, credit.totalSupply(), "supply conserved");
    }
}
