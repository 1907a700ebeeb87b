// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IRoyalties} from "../../src/interfaces/IRoyalties.sol";

/// @title MockRoyalties — test double of the payment entry: pulls `gross` from the payer
/// (it holds LEDGER_ROLE in the fixtures, so no allowance) and records the call.
contract MockRoyalties is IRoyalties {
    struct Call {
        address payer;
        uint256 workId;
        uint256 termsId;
        uint16 feeBps;
        PaymentRef refKind;
        uint256 refId;
        uint256 gross;
    }

    IERC20 public immutable credit;
    Call public last;
    uint256 public calls;
    uint256 public totalGross;

    constructor(IERC20 credit_) {
        credit = credit_;
    }

    function pay(
        address payer,
        uint256 workId,
        uint256 termsId,
        uint16 feeBps,
        PaymentRef refKind,
        uint256 refId,
        uint256 gross
    ) external returns (uint256 fee) {
        credit.transferFrom(payer, address(this), gross);
        last = Call(payer, workId, termsId, feeBps, refKind, refId, gross);
        calls += 1;
        totalGross += gross;
        fee = gross * feeBps / 10_000;
    }
}
