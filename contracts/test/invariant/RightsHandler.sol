// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {LedgerCheats} from "../utils/LedgerTest.sol";
import {Credit} from "../../src/Credit.sol";
import {Works} from "../../src/Works.sol";
import {Royalties} from "../../src/Royalties.sol";
import {SubsidyPools} from "../../src/SubsidyPools.sol";
import {Licensing} from "../../src/Licensing.sol";
import {IRoyalties} from "../../src/interfaces/IRoyalties.sol";

/// @dev Drives random sequences of rights, licensing, lending, subsidy and dispute actions by
/// the fixture's members and keeps ghost totals for the invariants. Every payment's effect on
/// the Royalties balances is measured against what it should be.
contract RightsHandler is LedgerCheats {
    struct Actors {
        address governor;
        address publisher1;
        address publisher2;
        address library1;
        address library2;
        address library3;
        address platform;
        address sponsor;
        address outsider;
    }

    struct Offer {
        uint256 workId;
        uint256 termsId;
        Licensing.TermsKind kind;
        uint256 price;
        address publisher;
    }

    Credit public immutable credit;
    Works public immutable works;
    Royalties public immutable royalties;
    SubsidyPools public immutable pools;
    Licensing public immutable licensing;
    Licensing public immutable lending; // the digital loans of Licensing
    Actors internal a;

    /// every account that can ever hold a Royalties balance
    address[] public holders;
    address[] internal _libraries;
    address[] internal _publishers;
    uint256[] public workIds;
    Offer[] internal _offers;
    uint256[] public licenceIds;
    uint256[] public openLoans;
    mapping(uint256 licenceId => uint256) public openLoansOf;
    uint256[] public poolIds;

    uint256 public ghostPaidIn; // gross of every payment through Royalties
    uint256 public ghostWithdrawn;
    uint256 public ghostFeeMismatches;
    uint256 public ghostCreditMismatches;
    uint256 public ghostUnauthorizedSuccesses;
    uint256 public ghostPayments;
    uint256 public ghostDeposited; // fen libraries put into their Royalties deposits
    uint256 public ghostDepositOut; // fen taken back with withdrawDeposit
    uint256 public ghostPaidFromDeposit; // gross of metered checkouts (paid from deposits)
    uint256 public ghostDepositMismatches;
    /// Loan-slot reservations whose effect was wrong (a loan changed, the cursor did not move).
    uint256 public ghostReserveMismatches;
    uint256 internal _seq;

    constructor(
        Credit credit_,
        Works works_,
        Royalties royalties_,
        SubsidyPools pools_,
        Licensing licensing_,
        Licensing lending_,
        Actors memory actors
    ) {
        credit = credit_;
        works = works_;
        royalties = royalties_;
        pools = pools_;
        licensing = licensing_;
        lending = lending_;
        a = actors;
        holders = [
            actors.publisher1,
            actors.publisher2,
            actors.library1,
            actors.library2,
            actors.library3,
            actors.platform,
            actors.sponsor
        ];
        _libraries = [actors.library1, actors.library2, actors.library3];
        _publishers = [actors.publisher1, actors.publisher2];
    }

    // ------------------------------------------------------------------ actions

    function registerWork(uint256 seed, uint8 nPayees, uint16 firstBps) external {
        address publisher = _publishers[seed % 2];
        uint256 n = bound(nPayees, 1, 3);
        address[] memory p = new address[](n);
        uint16[] memory b = new uint16[](n);
        uint256 left = 10_000;
        for (uint256 i = 0; i < n; ++i) {
            p[i] = holders[(seed >> (8 * i)) % 5]; // publishers and libraries
            uint256 share = i == n - 1 ? left : bound(uint256(firstBps) + i, 1, left - (n - 1 - i));
            b[i] = uint16(share);
            left -= share;
        }
        vm.prank(publisher);
        uint256 id = works.registerWork(
            keccak256(abi.encode("handler work", ++_seq)), abi.encodePacked(bytes8(uint64(_seq))), "ipfs://m", p, b
        );
        workIds.push(id);
    }

    function offerTerms(uint256 workSeed, uint8 kindSeed, uint128 price, uint32 copies, uint32 maxLoans) external {
        if (workIds.length == 0) return;
        uint256 workId = workIds[workSeed % workIds.length];
        if (works.statusOf(workId) == Works.WorkStatus.Revoked) return;
        Licensing.TermsKind kind = Licensing.TermsKind(kindSeed % 3);
        Licensing.TermsInput memory t = Licensing.TermsInput({
            kind: kind,
            price: uint96(bound(price, 1, 50_000)),
            copies: uint32(bound(copies, 1, 3)),
            loanPeriod: 7 days,
            maxLoansPerCopy: uint16(bound(maxLoans, 0, 4)),
            duration: kind == Licensing.TermsKind.Subscription ? 30 days : 0,
            territory: "CN",
            illAllowed: true,
            legalTextHash: bytes32(uint256(1)),
            legalTextURI: "ipfs://legal"
        });
        address holder = works.holderOf(workId);
        vm.prank(holder);
        try licensing.publishTerms(t) returns (uint256 termsId) {
            vm.prank(holder);
            try licensing.attachTerms(workId, termsId) {
                _offers.push(Offer(workId, termsId, kind, t.price, holder));
            } catch {}
        } catch {}
    }

    function acquire(uint256 libSeed, uint256 offerSeed, uint8 copies) external {
        if (_offers.length == 0) return;
        Offer memory o = _offers[offerSeed % _offers.length];
        address lib = _libraries[libSeed % 3];
        uint256 n = bound(copies, 1, 3);
        uint256 gross = o.kind == Licensing.TermsKind.PerLoanMetered ? 0 : o.price * n;
        (uint256 before, uint256 fee0) = _snapshot();
        vm.prank(lib);
        try licensing.acquire(o.workId, o.termsId, n) returns (uint256 id) {
            licenceIds.push(id);
            _checkPayment(before, fee0, gross, o.termsId);
        } catch {}
    }

    function acquireWithPool(uint256 libSeed, uint256 offerSeed, uint256 poolSeed) external {
        if (_offers.length == 0 || poolIds.length == 0) return;
        Offer memory o = _offers[offerSeed % _offers.length];
        if (o.kind == Licensing.TermsKind.PerLoanMetered) return;
        address lib = _libraries[libSeed % 3];
        (uint256 before, uint256 fee0) = _snapshot();
        vm.prank(lib);
        try licensing.acquireWithPool(o.workId, o.termsId, 1, poolIds[poolSeed % poolIds.length]) returns (uint256 id)
        {
            licenceIds.push(id);
            _checkPayment(before, fee0, o.price, o.termsId);
        } catch {}
    }

    function renew(uint256 licenceSeed) external {
        if (licenceIds.length == 0) return;
        uint256 id = licenceIds[licenceSeed % licenceIds.length];
        Licensing.LicenceView memory l = licensing.licence(id);
        (Licensing.Terms memory t,) = licensing.terms(l.termsId);
        uint256 gross = uint256(l.copies / t.copies) * t.price;
        (uint256 before, uint256 fee0) = _snapshot();
        vm.prank(l.holder);
        try licensing.renew(id) {
            _checkPayment(before, fee0, gross, l.termsId);
        } catch {}
    }

    function checkout(uint256 licenceSeed) external {
        if (licenceIds.length == 0) return;
        uint256 id = licenceIds[licenceSeed % licenceIds.length];
        Licensing.LicenceView memory l = licensing.licence(id);
        (Licensing.Terms memory t,) = licensing.terms(l.termsId);
        uint256 gross = t.kind == Licensing.TermsKind.PerLoanMetered ? t.price : 0;
        (uint256 before, uint256 fee0) = _snapshot();
        uint256 depositBefore = royalties.depositOf(l.holder);
        vm.prank(l.holder);
        try lending.checkout(id, keccak256(abi.encode(++_seq))) returns (uint256 loanId) {
            openLoans.push(loanId);
            ++openLoansOf[id];
            _checkPayment(before, fee0, gross, l.termsId);
            ghostPaidFromDeposit += gross;
            if (royalties.depositOf(l.holder) != depositBefore - gross) ++ghostDepositMismatches;
            Licensing.Loan memory loan = lending.loan(loanId);
            if (loan.licenceId != id || loan.library_ != l.holder || loan.status != Licensing.LoanStatus.Active) {
                ++ghostDepositMismatches;
            }
        } catch {}
    }

    function deposit(uint256 libSeed, uint32 amount) external {
        address lib = _libraries[libSeed % _libraries.length];
        uint256 before = royalties.depositOf(lib);
        vm.prank(lib);
        try royalties.deposit(amount) returns (uint256 balance) {
            ghostDeposited += amount;
            if (balance != before + amount || royalties.depositOf(lib) != balance) ++ghostDepositMismatches;
        } catch {}
    }

    function withdrawDeposit(uint256 libSeed, uint32 amount) external {
        address lib = _libraries[libSeed % _libraries.length];
        uint256 before = royalties.depositOf(lib);
        uint256 creditBefore = credit.balanceOf(lib);
        vm.prank(lib);
        try royalties.withdrawDeposit(amount) returns (uint256 balance) {
            ghostDepositOut += amount;
            if (balance != before - amount || credit.balanceOf(lib) != creditBefore + amount) ++ghostDepositMismatches;
        } catch {
            if (amount != 0 && amount <= before) ++ghostDepositMismatches; // only a short deposit refuses
        }
    }

    /// A library or the platform reserves 1-4 loan-group slots; open loans must read back
    /// unchanged and the loan counter must not move.
    function reserveLoanSlots(uint256 who, uint8 groups) external {
        address caller = who % 4 == 3 ? a.platform : _libraries[who % 3];
        uint256 n = 1 + groups % 4;
        uint256 count = lending.loanCount();
        uint256 cursor = lending.reservedUpTo();
        vm.prank(caller);
        try lending.reserveLoanSlots(n) returns (uint256 fromGroup, uint256 toGroup) {
            uint256 filling = count / 3;
            if (fromGroup != (cursor > filling ? cursor : filling) || toGroup != fromGroup + n) ++ghostReserveMismatches;
            if (lending.reservedUpTo() != toGroup || lending.loanCount() != count) ++ghostReserveMismatches;
            for (uint256 k = 0; k < openLoans.length; ++k) {
                if (lending.loan(openLoans[k]).status != Licensing.LoanStatus.Active) ++ghostReserveMismatches;
            }
        } catch {}
    }

    function checkin(uint256 loanSeed) external {
        if (openLoans.length == 0) return;
        uint256 k = loanSeed % openLoans.length;
        Licensing.Loan memory loan = lending.loan(openLoans[k]);
        vm.prank(loan.library_);
        try lending.checkin(openLoans[k]) {
            _closeLoan(k, loan.licenceId);
        } catch {}
    }

    function expire(uint256 loanSeed) external {
        if (openLoans.length == 0) return;
        uint256 k = loanSeed % openLoans.length;
        Licensing.Loan memory loan = lending.loan(openLoans[k]);
        if (block.timestamp <= loan.dueAt) vm.warp(uint256(loan.dueAt) + 1);
        try lending.expire(openLoans[k]) {
            _closeLoan(k, loan.licenceId);
        } catch {}
    }

    function withdraw(uint256 holderSeed) external {
        address who = holders[holderSeed % holders.length];
        uint256 owed = royalties.balanceOf(who);
        vm.prank(who);
        try royalties.withdraw() returns (uint256 amount) {
            ghostWithdrawn += amount;
            if (amount != owed || royalties.balanceOf(who) != 0) ++ghostCreditMismatches;
        } catch {}
    }

    function openDispute(uint256 workSeed, uint256 claimantSeed) external {
        if (workIds.length == 0) return;
        vm.prank(holders[claimantSeed % 5]);
        try works.openDispute(workIds[workSeed % workIds.length], "ipfs://evidence") {} catch {}
    }

    function resolveDispute(uint256 workSeed, uint8 rulingSeed, uint256 beneficiarySeed) external {
        if (workIds.length == 0) return;
        uint256 workId = workIds[workSeed % workIds.length];
        uint256 d = works.work(workId).lastDisputeId;
        if (d == 0) return;
        Works.Ruling ruling = Works.Ruling(1 + rulingSeed % 3);
        address beneficiary = ruling == Works.Ruling.Transfer
            ? _publishers[beneficiarySeed % 2]
            : holders[beneficiarySeed % 5];
        address[] memory p = new address[](1);
        p[0] = holders[beneficiarySeed % 5];
        uint16[] memory b = new uint16[](1);
        b[0] = 10_000;
        vm.warp(block.timestamp + 48 hours + 1);
        vm.prank(a.governor);
        try works.resolveDispute(d, ruling, beneficiary, p, b, "ipfs://ruling") {} catch {}
    }

    function releaseEscrow(uint256 workSeed) external {
        if (workIds.length == 0) return;
        uint256 workId = workIds[workSeed % workIds.length];
        uint256 escrowed = royalties.escrowOf(workId);
        uint256 before = _sumBalances();
        try royalties.releaseEscrow(workId) {
            if (_sumBalances() - before != escrowed || royalties.escrowOf(workId) != 0) ++ghostCreditMismatches;
        } catch {}
    }

    function createPool(uint128 amount, uint8 days_, uint128 cap, bool limitToFirstWork) external {
        amount = uint128(bound(amount, 1, 200_000));
        uint256[] memory ws = new uint256[](limitToFirstWork && workIds.length > 0 ? 1 : 0);
        if (ws.length == 1) ws[0] = workIds[0];
        vm.prank(a.sponsor);
        try pools.createPool(
            amount, uint40(block.timestamp + bound(days_, 1, 60) * 1 days), uint128(bound(cap, 0, 100_000)), ws, new address[](0)
        ) returns (uint256 id) {
            poolIds.push(id);
        } catch {}
    }

    function reclaim(uint256 poolSeed) external {
        if (poolIds.length == 0) return;
        uint256 id = poolIds[poolSeed % poolIds.length];
        SubsidyPools.Pool memory p = pools.pool(id);
        if (block.timestamp < p.expiry) vm.warp(p.expiry);
        try pools.reclaim(id) {} catch {}
    }

    function warp(uint32 secs) external {
        vm.warp(block.timestamp + bound(secs, 1, 20 days));
    }

    /// Calls a role-guarded function from an account lacking the role; success is a bug.
    function callWithoutRole(uint256 who, uint8 which) external {
        address caller = [a.outsider, a.library1, a.publisher1, a.sponsor][who % 4];
        uint256 w = which % 10;
        address target;
        bytes memory data;
        if (w == 0) {
            // only publishers register works
            if (caller == a.publisher1) return;
            address[] memory p = new address[](1);
            p[0] = caller;
            uint16[] memory b = new uint16[](1);
            b[0] = 10_000;
            target = address(works);
            data = abi.encodeCall(works.registerWork, (keccak256(abi.encode(++_seq)), hex"0102030405060708", "u", p, b));
        } else if (w == 1) {
            if (caller == a.library1) return;
            target = address(licensing);
            data = abi.encodeCall(licensing.acquire, (1, 1, 1));
        } else if (w == 2) {
            target = address(royalties);
            data = abi.encodeCall(royalties.pay, (a.library1, 1, 1, 3_000, IRoyalties.PaymentRef.Licence, 1, 10_000));
        } else if (w == 3) {
            target = address(licensing);
            data = abi.encodeCall(licensing.useCopy, (1, a.library1, false));
        } else if (w == 4) {
            target = address(licensing);
            data = abi.encodeCall(licensing.releaseCopy, (1));
        } else if (w == 5) {
            target = address(pools);
            data = abi.encodeCall(pools.draw, (1, a.library1, 1, 10_000, caller));
        } else if (w == 6) {
            target = address(works);
            data = abi.encodeCall(works.setResponseWindow, (2 hours));
        } else if (w == 8) {
            target = address(royalties);
            data = abi.encodeCall(royalties.payFromDeposit, (a.library1, 1, 1, 3_000, IRoyalties.PaymentRef.DigitalLoan, 1, 300));
        } else if (w == 9) {
            // only libraries deposit
            if (caller == a.library1) return;
            target = address(royalties);
            data = abi.encodeCall(royalties.deposit, (1));
        } else {
            if (caller == a.sponsor) return;
            target = address(pools);
            data = abi.encodeCall(
                pools.createPool, (1, uint40(block.timestamp + 1 days), 0, new uint256[](0), new address[](0))
            );
        }
        vm.prank(caller);
        (bool ok,) = target.call(data);
        if (ok) ++ghostUnauthorizedSuccesses;
    }

    // ------------------------------------------------------------------ views for invariants

    function holderCount() external view returns (uint256) {
        return holders.length;
    }

    function workCount() external view returns (uint256) {
        return workIds.length;
    }

    function licenceCount() external view returns (uint256) {
        return licenceIds.length;
    }

    function poolCount() external view returns (uint256) {
        return poolIds.length;
    }

    function sumBalances() external view returns (uint256) {
        return _sumBalances();
    }

    function sumDeposits() public view returns (uint256 s) {
        for (uint256 i = 0; i < _libraries.length; ++i) {
            s += royalties.depositOf(_libraries[i]);
        }
    }

    function sumEscrow() public view returns (uint256 s) {
        for (uint256 i = 0; i < workIds.length; ++i) {
            s += royalties.escrowOf(workIds[i]);
        }
    }

    // ------------------------------------------------------------------ internals

    function _sumBalances() internal view returns (uint256 s) {
        for (uint256 i = 0; i < holders.length; ++i) {
            s += royalties.balanceOf(holders[i]);
        }
    }

    function _snapshot() internal view returns (uint256 credited, uint256 platformBalance) {
        credited = _sumBalances() + sumEscrow();
        platformBalance = royalties.balanceOf(a.platform);
    }

    /// The op that just succeeded should have paid `gross` (0 = no payment) at the terms' fee.
    function _checkPayment(uint256 creditedBefore, uint256 platformBefore, uint256 gross, uint256 termsId) internal {
        uint256 credited = _sumBalances() + sumEscrow() - creditedBefore;
        uint256 fee = royalties.balanceOf(a.platform) - platformBefore;
        (Licensing.Terms memory t,) = licensing.terms(termsId);
        if (credited != gross) ++ghostCreditMismatches;
        if (fee != gross * t.feeBps / 10_000) ++ghostFeeMismatches;
        ghostPaidIn += gross;
        if (gross != 0) ++ghostPayments;
    }

    function _closeLoan(uint256 k, uint256 licenceId) internal {
        openLoans[k] = openLoans[openLoans.length - 1];
        openLoans.pop();
        --openLoansOf[licenceId];
    }
}
