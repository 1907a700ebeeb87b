// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Consortium} from "../../src/Consortium.sol";
import {Credit} from "../../src/Credit.sol";
import {Roles} from "../../src/access/Roles.sol";
import {ConsortiumBase, FuzzSelector, TestBase} from "../utils/ConsortiumBase.sol";

/// @notice Drives random sequences of membership changes and credit movements over a bounded
/// set of actors and records, per call, whether the rules held at the time of the call.
contract CreditHandler is TestBase {
    Consortium internal immutable consortium;
    Credit internal immutable credit;
    address internal immutable governor;

    /// every account the handler ever uses: treasury, a LEDGER_ROLE contract, a stranger that is
    /// never admitted, and candidates the handler admits, suspends and reinstates at random
    address[] internal _actors;
    uint256 internal immutable _firstCandidate;

    uint256 public ghostMinted;
    uint256 public ghostBurned;
    /// transfers that succeeded although a party was suspended at the time (must stay 0)
    uint256 public suspendedTransfersSucceeded;
    /// movements that succeeded although a party or the spender was not allowed (must stay 0)
    uint256 public unauthorizedSucceeded;
    /// movements that were allowed and covered, but failed (must stay 0)
    uint256 public validMovementsFailed;
    mapping(bytes32 action => uint256) public calls;

    constructor(Consortium consortium_, Credit credit_, address governor_, address[] memory fixedActors) {
        consortium = consortium_;
        credit = credit_;
        governor = governor_;
        for (uint256 i = 0; i < fixedActors.length; ++i) {
            _actors.push(fixedActors[i]);
        }
        _firstCandidate = _actors.length;
        for (uint256 i = 1; i <= 6; ++i) {
            _actors.push(address(uint160(0xCA0D1DA7E0000 + i)));
        }
    }

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    // ------------------------------------------------------------------ membership

    function admit(uint256 seed, bool asTreasury) external {
        address a = _candidate(seed);
        if (consortium.member(a).status != Consortium.MemberStatus.None) return;
        bytes32[] memory roles = new bytes32[](asTreasury ? 2 : 1);
        roles[0] = Roles.LIBRARY;
        if (asTreasury) roles[1] = Roles.TREASURY;
        string memory id = string.concat("CN-ACTOR-", string(abi.encodePacked(bytes1(uint8(48 + seed % 10)))));
        id = string.concat(id, string(abi.encodePacked(a)));
        vm.prank(governor);
        consortium.admit(a, id, "Candidate library", roles);
        ++calls["admit"];
    }

    function suspend(uint256 seed) external {
        address a = _actor(seed);
        if (consortium.member(a).status != Consortium.MemberStatus.Active) return;
        vm.prank(governor);
        consortium.suspend(a, "invariant");
        ++calls["suspend"];
    }

    function reinstate(uint256 seed) external {
        address a = _actor(seed);
        if (consortium.member(a).status != Consortium.MemberStatus.Suspended) return;
        vm.prank(governor);
        consortium.reinstate(a);
        ++calls["reinstate"];
    }

    // ------------------------------------------------------------------ credit

    function mint(uint256 callerSeed, uint256 toSeed, uint256 amount) external {
        address caller = _actor(callerSeed);
        address to = _actor(toSeed);
        amount = bound(amount, 0, 1e12);
        bool allowed = consortium.hasActiveRole(Roles.TREASURY, caller) && _mayHold(to);
        vm.prank(caller);
        try credit.mint(to, amount) {
            ghostMinted += amount;
            if (!allowed) ++unauthorizedSucceeded;
            ++calls["mint"];
        } catch {
            if (allowed) ++validMovementsFailed;
        }
    }

    function burn(uint256 callerSeed, uint256 amount) external {
        address caller = _actor(callerSeed);
        uint256 balance = credit.balanceOf(caller);
        amount = bound(amount, 0, balance);
        bool allowed = consortium.hasActiveRole(Roles.TREASURY, caller) && _mayHold(caller);
        vm.prank(caller);
        try credit.burn(amount) {
            ghostBurned += amount;
            if (!allowed) ++unauthorizedSucceeded;
            ++calls["burn"];
        } catch {
            if (allowed) ++validMovementsFailed;
        }
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = _actor(fromSeed);
        address to = _actor(toSeed);
        amount = bound(amount, 0, credit.balanceOf(from));
        bool suspended = _isSuspended(from) || _isSuspended(to);
        bool allowed = _mayHold(from) && _mayHold(to);
        vm.prank(from);
        try credit.transfer(to, amount) {
            _recordSuccess(suspended, allowed);
            ++calls["transfer"];
        } catch {
            if (allowed) ++validMovementsFailed;
        }
    }

    function transferFrom(uint256 spenderSeed, uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address spender = _actor(spenderSeed);
        address from = _actor(fromSeed);
        address to = _actor(toSeed);
        amount = bound(amount, 0, credit.balanceOf(from));
        bool isLedger = consortium.hasActiveRole(Roles.LEDGER, spender);
        bool suspended = _isSuspended(from) || _isSuspended(to) || _isSuspended(spender);
        bool allowed = _mayHold(from) && _mayHold(to) && _mayHold(spender);
        bool covered = isLedger || credit.allowance(from, spender) >= amount;
        vm.prank(spender);
        try credit.transferFrom(from, to, amount) {
            _recordSuccess(suspended, allowed && covered);
            ++calls["transferFrom"];
        } catch {
            if (allowed && covered) ++validMovementsFailed;
        }
    }

    /// `Credit.payOut` (a Royalties withdrawal): only the Royalties contract (here the LEDGER
    /// actor, named by the governor in setUp) succeeds, to an account that may hold credit.
    function payOut(uint256 callerSeed, uint256 toSeed, uint256 amount) external {
        address caller = _actor(callerSeed);
        address to = _actor(toSeed);
        amount = bound(amount, 0, credit.balanceOf(caller));
        bool isRoyalties = caller == credit.royalties();
        bool suspended = _isSuspended(to);
        bool allowed = isRoyalties && to != caller && _mayHold(to);
        vm.prank(caller);
        try credit.payOut(to, amount) {
            _recordSuccess(suspended, allowed);
            ++calls["payOut"];
        } catch {
            if (allowed) ++validMovementsFailed;
        }
    }

    function approve(uint256 ownerSeed, uint256 spenderSeed, uint256 amount) external {
        address owner = _actor(ownerSeed);
        address spender = _actor(spenderSeed);
        amount = bound(amount, 0, 1e12);
        vm.prank(owner);
        credit.approve(spender, amount);
        ++calls["approve"];
    }

    // ------------------------------------------------------------------ internals

    function _recordSuccess(bool suspended, bool allowed) private {
        if (suspended) ++suspendedTransfersSucceeded;
        if (!allowed) ++unauthorizedSucceeded;
    }

    function _actor(uint256 seed) private view returns (address) {
        return _actors[seed % _actors.length];
    }

    function _candidate(uint256 seed) private view returns (address) {
        return _actors[_firstCandidate + seed % (_actors.length - _firstCandidate)];
    }

    function _isSuspended(address a) private view returns (bool) {
        return consortium.member(a).status == Consortium.MemberStatus.Suspended;
    }

    function _mayHold(address a) private view returns (bool) {
        return consortium.isActiveMember(a) || consortium.hasActiveRole(Roles.LEDGER, a);
    }
}

contract CreditInvariantTest is ConsortiumBase {
    CreditHandler internal handler;

    function setUp() public override {
        super.setUp();
        vm.prank(governor);
        consortium.grantRole(Roles.LIBRARY, treasury);
        address[] memory fixedActors = new address[](3);
        fixedActors[0] = treasury;
        fixedActors[1] = ledger;
        fixedActors[2] = stranger;
        handler = new CreditHandler(consortium, credit, governor, fixedActors);
        // the LEDGER actor plays Royalties: its credit lives in Credit's slot 0
        vm.prank(governor);
        credit.setRoyalties(ledger);
        vm.label(address(handler), "CreditHandler");
    }

    /// @dev Read by forge: only the handler is called, only through these functions.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](9);
        selectors[0] = CreditHandler.admit.selector;
        selectors[1] = CreditHandler.suspend.selector;
        selectors[2] = CreditHandler.reinstate.selector;
        selectors[3] = CreditHandler.mint.selector;
        selectors[4] = CreditHandler.burn.selector;
        selectors[5] = CreditHandler.transfer.selector;
        selectors[6] = CreditHandler.transferFrom.selector;
        selectors[7] = CreditHandler.approve.selector;
        selectors[8] = CreditHandler.payOut.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: selectors});
    }

    function invariant_totalSupplyEqualsSumOfBalances() public view {
        address[] memory all = handler.actors();
        uint256 sum;
        for (uint256 i = 0; i < all.length; ++i) {
            sum += credit.balanceOf(all[i]);
        }
        vm.assertEq(credit.totalSupply(), sum, "supply == sum of balances");
        vm.assertEq(credit.totalSupply(), handler.ghostMinted() - handler.ghostBurned(), "supply == minted - burned");
    }

    function invariant_nonMembersNeverHoldCredit() public view {
        address[] memory all = handler.actors();
        for (uint256 i = 0; i < all.length; ++i) {
            address a = all[i];
            bool member = consortium.member(a).status != Consortium.MemberStatus.None;
            if (!member && !consortium.hasRole(Roles.LEDGER, a)) {
                vm.assertEq(credit.balanceOf(a), 0, "non-member holds credit");
            }
        }
    }

    /// Judged per call by the handler against the membership at the time of the call: a
    /// transfer with a suspended party never succeeds, nor does any movement by or to an account
    /// that may not hold credit, while every allowed and covered movement does succeed.
    /// (One invariant for the three, since each invariant is its own 20,000-call campaign.)
    function invariant_movementsFollowMembershipAtTheTime() public view {
        vm.assertEq(handler.suspendedTransfersSucceeded(), 0, "a transfer with a suspended party succeeded");
        vm.assertEq(handler.unauthorizedSucceeded(), 0, "an unauthorized movement succeeded");
        vm.assertEq(handler.validMovementsFailed(), 0, "an allowed, covered movement failed");
    }
}
