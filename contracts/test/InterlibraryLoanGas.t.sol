// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {InterlibraryLoan} from "../src/InterlibraryLoan.sol";
import {IllFixture} from "./ill/IllFixture.sol";

/// Gas scenarios: each test makes the one call it measures on state prepared in setUp, so
/// `forge test --match-contract InterlibraryLoanGas --isolate --gas-report` reports a whole
/// transaction per call (cold storage, 21,000 intrinsic gas included). Targets (issue 4):
/// submitRequest <= 120k, a status update <= 45k. Also asserted here with a cold-access
/// measurement so a regression fails the suite.
contract InterlibraryLoanGasTest is IllFixture {
    uint256 internal idRR;
    uint256 internal idWS;
    uint256 internal idLoaned;
    InterlibraryLoan.NewRequest internal fresh;

    function setUp() public {
        _deployFixture();
        idRR = _requestLoan("g-rr");
        idWS = _requestLoan("g-ws");
        _update(idWS, InterlibraryLoan.Status.WillSupply, 0, 0);
        idLoaned = _requestLoan("g-loaned");
        _update(idLoaned, InterlibraryLoan.Status.Loaned, block.timestamp + 14 days, 0);
        fresh = _newRequest(libB, InterlibraryLoan.ServiceType.Loan, 50_00, "g-new");
        fresh.needBefore = block.timestamp + 30 days;
    }

    function test_gas_submitRequest() public {
        vm.prank(libA);
        ill.submitRequest(fresh);
    }

    function test_gas_updateStatus_expectToSupply() public {
        vm.prank(libB);
        ill.updateStatus(idRR, InterlibraryLoan.Status.ExpectToSupply, 0, 0, 0, 0);
    }

    function test_gas_updateStatus_loanedNoCharge() public {
        vm.prank(libB);
        ill.updateStatus(idWS, InterlibraryLoan.Status.Loaned, 0, 0, block.timestamp + 14 days, 0);
    }

    function test_gas_updateStatus_loanedWithCharge() public {
        vm.prank(libB);
        ill.updateStatus(idWS, InterlibraryLoan.Status.Loaned, 0, 0, block.timestamp + 14 days, 30_00);
    }

    function test_gas_updateStatus_loanCompleted() public {
        vm.prank(libB);
        ill.updateStatus(idLoaned, InterlibraryLoan.Status.LoanCompleted, 0, 0, 0, 0);
    }

    function test_gas_updateStatus_staleIgnored() public {
        vm.prank(libB);
        ill.updateStatus(idLoaned, InterlibraryLoan.Status.WillSupply, 0, 0, 0, 0);
    }

    function test_gas_act_received() public {
        vm.prank(libA);
        ill.act(idLoaned, InterlibraryLoan.Action.Received, address(0));
    }

    function test_gas_markOverdue() public {
        vm.warp(block.timestamp + 15 days);
        ill.markOverdue(idLoaned);
    }

    /// @dev Budget checks without --isolate (one fresh transaction per test, so accounts and
    /// slots are cold as in a real transaction).
    function test_gasTarget_submitRequestAtMost120k() public {
        uint256 used = _txGas(libA, abi.encodeCall(ill.submitRequest, (fresh)));
        vm.assertLe(used, 120_000, "submitRequest <= 120k");
    }

    function test_gasTarget_statusUpdateAtMost45k() public {
        uint256 used =
            _txGas(libB, abi.encodeCall(ill.updateStatus, (idRR, InterlibraryLoan.Status.ExpectToSupply, 0, 0, 0, 0)));
        vm.assertLe(used, 45_000, "status update <= 45k");
    }

    function test_gasTarget_loanedAtMost45k() public {
        uint256 loaned = _txGas(
            libB,
            abi.encodeCall(ill.updateStatus, (idWS, InterlibraryLoan.Status.Loaned, 0, 0, block.timestamp + 14 days, 0))
        );
        vm.assertLe(loaned, 45_000, "Loaned <= 45k");
    }

    function test_gasTarget_loanCompletedAtMost45k() public {
        uint256 done = _txGas(
            libB, abi.encodeCall(ill.updateStatus, (idLoaned, InterlibraryLoan.Status.LoanCompleted, 0, 0, 0, 0))
        );
        vm.assertLe(done, 45_000, "LoanCompleted <= 45k");
    }

    /// @dev Gas a transaction making this call would use: the call's own gas with cold storage
    /// (vm.lastCallGas) + 21,000 intrinsic + calldata (EIP-2028 prices).
    function _txGas(address from, bytes memory data) internal returns (uint256) {
        vm.cool(address(ill));
        vm.cool(address(consortium));
        vm.prank(from);
        (bool ok,) = address(ill).call(data);
        vm.assertTrue(ok, "call failed");
        uint256 used = vm.lastCallGas().gasTotalUsed;
        uint256 calldataGas;
        for (uint256 i = 0; i < data.length; ++i) {
            calldataGas += data[i] == 0 ? 4 : 16;
        }
        return used + 21_000 + calldataGas;
    }
}
