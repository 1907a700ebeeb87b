// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IllFixture} from "./ill/IllFixture.sol";
import {IllModelHandler} from "./ill/IllModelHandler.sol";

/// Random sequences of actions by random parties, each checked against the reference model in
/// IllModelHandler: the contract agrees with the model on every outcome (applied / ignored /
/// reverted) and every field; no status moves backward; a terminal status never changes;
/// nobody but the supplier / requester / borrower changes a request; ILL nets sum to zero.
contract InterlibraryLoanModelTest is IllFixture {
    IllModelHandler internal handler;

    function setUp() public {
        _deployFixture();
        handler = new IllModelHandler(ill, clearing, [libA, libB, libC, libD, outsider]);
    }

    /// @dev Forge's invariant runner calls only the handler.
    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(handler);
    }

    /// forge-config: default.invariant.depth = 50
    function invariant_stateTableHolds() public view {
        _checkGhosts();
    }

    /// @dev The same model driven by one fuzzed seed through 60 steps (1,000 runs).
    function testFuzz_randomSequenceAgreesWithModel(uint256 seed) public {
        for (uint256 i = 0; i < 60; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint256 a = uint256(keccak256(abi.encode(r)));
            uint256 op = r % 16;
            if (op < 2) handler.submit(a);
            else if (op < 7) handler.update(a, r >> 4);
            else if (op < 10) handler.act(a, r >> 4);
            else if (op == 10) handler.answerCancel(a, r & 16 == 0);
            else if (op == 11) handler.answerRenew(a, r >> 4);
            else if (op == 12) handler.markOverdue(a);
            else if (op == 13) handler.warp(r >> 4);
            else if (op == 14) handler.refundCharge(a, r >> 4);
            else handler.recordFound(a, r >> 4);
        }
        _checkGhosts();
    }

    /// @dev The model is not vacuous: a handful of seeds reach every status and all three
    /// outcomes.
    function test_randomSequencesReachEveryStatus() public {
        uint256[13] memory reached;
        uint256 applied;
        uint256 ignored;
        uint256 reverted;
        for (uint256 seed = 0; seed < 25; ++seed) {
            handler = new IllModelHandler(ill, clearing, [libA, libB, libC, libD, outsider]);
            testFuzz_randomSequenceAgreesWithModel(seed);
            for (uint8 s = 0; s <= 12; ++s) {
                reached[s] += handler.reached(s);
            }
            applied += handler.applied();
            ignored += handler.ignored();
            reverted += handler.reverted();
        }
        string memory counts;
        for (uint8 s = 0; s <= 12; ++s) {
            counts = string.concat(counts, " ", vm.toString(reached[s]));
        }
        for (uint8 s = 2; s <= 12; ++s) {
            vm.assertGt(reached[s], 0, string.concat("status never reached: ", vm.toString(uint256(s)), counts));
        }
        vm.assertGt(applied, 0, "applied");
        vm.assertGt(ignored, 0, "ignored");
        vm.assertGt(reverted, 0, "reverted");
    }

    function _checkGhosts() internal view {
        vm.assertEq(handler.mismatches(), 0, handler.firstMismatch());
        vm.assertEq(handler.backwardMoves(), 0, "a status moved backward");
        vm.assertEq(handler.terminalChanged(), 0, "a terminal status changed");
        vm.assertEq(handler.wrongPartyAccepted(), 0, "a wrong party changed a request");
        address[4] memory libs = [libA, libB, libC, libD];
        int256 sum;
        for (uint256 i = 0; i < 4; ++i) {
            sum += clearing.netPosition(clearing.currentPeriod(), libs[i]);
        }
        vm.assertEq(sum, 0, "ILL nets sum to zero");
    }
}
