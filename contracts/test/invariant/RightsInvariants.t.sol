// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {LedgerFixture} from "../utils/LedgerFixture.sol";
import {RightsHandler} from "./RightsHandler.sol";
import {Licensing} from "../../src/Licensing.sol";

/// @dev Invariants of the money and the copies under random sequences of RightsHandler actions.
contract RightsInvariantsTest is LedgerFixture {
    RightsHandler internal handler;

    function setUp() public override {
        _deployLedger();
        handler = new RightsHandler(
            credit,
            works,
            royalties,
            pools,
            licensing,
            lending,
            RightsHandler.Actors({
                governor: governor,
                publisher1: publisher1,
                publisher2: publisher2,
                library1: library1,
                library2: library2,
                library3: library3,
                platform: platform,
                sponsor: sponsor,
                outsider: outsider
            })
        );
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](20);
        selectors[0] = RightsHandler.registerWork.selector;
        selectors[1] = RightsHandler.offerTerms.selector;
        selectors[2] = RightsHandler.acquire.selector;
        selectors[3] = RightsHandler.acquireWithPool.selector;
        selectors[4] = RightsHandler.renew.selector;
        selectors[5] = RightsHandler.checkout.selector;
        selectors[6] = RightsHandler.checkout.selector; // lending is the hot path: twice the weight
        selectors[7] = RightsHandler.checkin.selector;
        selectors[8] = RightsHandler.expire.selector;
        selectors[9] = RightsHandler.withdraw.selector;
        selectors[10] = RightsHandler.openDispute.selector;
        selectors[11] = RightsHandler.resolveDispute.selector;
        selectors[12] = RightsHandler.releaseEscrow.selector;
        selectors[13] = RightsHandler.createPool.selector;
        selectors[14] = RightsHandler.reclaim.selector;
        selectors[15] = RightsHandler.warp.selector;
        selectors[16] = RightsHandler.callWithoutRole.selector;
        selectors[17] = RightsHandler.deposit.selector;
        selectors[18] = RightsHandler.withdrawDeposit.selector;
        selectors[19] = RightsHandler.reserveLoanSlots.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// Money: credit held by Royalties and SubsidyPools equals what they owe (unwithdrawn
    /// balances, escrow, pool funds); everything credited was paid in; every payment's fee was
    /// floor(gross * feeBps / 10000) of its terms. (One campaign for the money invariants and
    /// one for copies and roles keeps the suite's run time down: 1,000 runs x depth 20 each.)
    function invariant_moneyIsConservedAndFeesFloor() public view {
        uint256 balances = handler.sumBalances();
        uint256 escrow = handler.sumEscrow();
        uint256 deposits = handler.sumDeposits();
        assertEq(
            credit.balanceOf(address(royalties)),
            balances + escrow + deposits,
            "royalties: credit held = balances + escrow + deposits"
        );
        assertEq(
            deposits + handler.ghostPaidFromDeposit() + handler.ghostDepositOut(),
            handler.ghostDeposited(),
            "deposits = deposited - spent on loans - taken back"
        );
        assertEq(handler.ghostDepositMismatches(), 0, "deposit moves exactly as asked; loans read back");
        assertEq(handler.ghostReserveMismatches(), 0, "reservations move the cursor and leave loans alone");
        uint256 poolFunds;
        for (uint256 i = 0; i < handler.poolCount(); ++i) {
            poolFunds += pools.pool(handler.poolIds(i)).balance;
        }
        assertEq(credit.balanceOf(address(pools)), poolFunds, "pools: credit held = pool funds");
        assertEq(balances + escrow + handler.ghostWithdrawn(), handler.ghostPaidIn(), "sum credited = sum paid in");
        assertEq(handler.ghostCreditMismatches(), 0, "every payment credited exactly its gross");
        assertEq(handler.ghostFeeMismatches(), 0, "fee = floor(gross * feeBps / 10000)");
    }

    /// Copies and roles: active loans of every licence never exceed its copies and match the
    /// open loans; no role-guarded function ever succeeded for a caller without the role.
    function invariant_loansWithinCopiesAndOnlyTheRightRole() public view {
        for (uint256 i = 0; i < handler.licenceCount(); ++i) {
            uint256 id = handler.licenceIds(i);
            Licensing.LicenceView memory l = licensing.licence(id);
            assertLe(l.activeLoans, l.copies, "active loans <= copies");
            assertEq(l.activeLoans, handler.openLoansOf(id), "active loans = open loans");
        }
        assertEq(handler.ghostUnauthorizedSuccesses(), 0, "a call without the role succeeded");
    }
}

/// @dev The handler really moves money and copies (guards against invariants that pass on a
/// handler whose every action silently fails).
contract RightsHandlerProgressTest is LedgerFixture {
    function test_handlerMakesProgress() public {
        RightsHandler h = new RightsHandler(
            credit,
            works,
            royalties,
            pools,
            licensing,
            lending,
            RightsHandler.Actors(
                governor, publisher1, publisher2, library1, library2, library3, platform, sponsor, outsider
            )
        );
        h.registerWork(1, 2, 6_000);
        h.offerTerms(0, 0, 10_000, 1, 0); // perpetual
        h.offerTerms(0, 1, 300, 2, 2); // metered
        h.createPool(100_000, 30, 0, false);
        h.acquire(0, 0, 1);
        h.acquire(1, 1, 1);
        h.acquireWithPool(2, 0, 0);
        h.deposit(1, 1_000);
        h.withdrawDeposit(1, 100);
        h.checkout(1);
        h.reserveLoanSlots(3, 2);
        h.checkout(1);
        assertEq(lending.reservedUpTo(), 3, "platform reserved groups 0-2");
        h.checkin(0);
        h.expire(0);
        h.openDispute(0, 3);
        h.acquire(0, 0, 2);
        h.resolveDispute(0, 0, 0);
        h.releaseEscrow(0);
        h.withdraw(0);
        h.withdraw(5);
        h.reclaim(0);
        h.callWithoutRole(0, 2);
        assertEq(h.workCount(), 1);
        assertEq(h.licenceCount(), 4);
        assertEq(h.ghostPayments(), 5);
        assertGe(h.ghostWithdrawn(), 1);
        assertEq(h.ghostCreditMismatches(), 0);
        assertEq(h.ghostFeeMismatches(), 0);
        assertEq(h.ghostUnauthorizedSuccesses(), 0);
        assertEq(h.ghostDepositMismatches(), 0);
        assertEq(h.ghostReserveMismatches(), 0);
        assertEq(h.ghostPaidFromDeposit(), 600, "two metered checkouts paid from the deposit");
        assertEq(credit.balanceOf(address(royalties)), h.sumBalances() + h.sumEscrow() + h.sumDeposits());
    }
}
