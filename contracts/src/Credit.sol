// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Consortium} from "./Consortium.sol";
import {ConsortiumGuarded} from "./access/ConsortiumGuarded.sol";
import {Roles} from "./access/Roles.sol";

/// @title Credit — the consortium's settlement credit (ERC-20, 2 decimals: 1 credit unit = 1 fen).
/// @notice Minted by the treasury against deposits made outside the chain and burned on
/// cash-out. Only active members and libledger contracts may hold or move it, and none of it
/// moves while the Consortium (or this contract) is paused. libledger
/// contracts (LEDGER_ROLE) move a member's credit without an allowance, so a purchase is one
/// transaction; they only do so inside the member's own call.
contract Credit is ERC20, ConsortiumGuarded {
    /// `account` may not hold or move credit (not an active member nor a libledger contract).
    error CreditAccountNotAllowed(address account);

    constructor(Consortium consortium_) ERC20("libledger credit", "LLC") ConsortiumGuarded(consortium_) {}

    /// @notice Credit counts fen: 2 decimals.
    function decimals() public pure override returns (uint8) {
        return 2;
    }

    /// @notice Mints `amount` fen to `to` against an off-chain deposit.
    function mint(address to, uint256 amount) external onlyRole(Roles.TREASURY) {
        _mint(to, amount);
    }

    /// @notice Burns `amount` fen from the treasury's own balance (a member cashes out by
    /// transferring to the treasury first).
    function burn(uint256 amount) external onlyRole(Roles.TREASURY) {
        _burn(msg.sender, amount);
    }

    /// @notice ERC-20 `transferFrom`; a libledger contract (LEDGER_ROLE) needs no allowance.
    /// @dev When the spender pulls to itself (every Royalties payment), one Consortium look-up
    /// serves the owner, the spender and the recipient; same checks and errors as otherwise.
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        address spender = _msgSender();
        if (to != spender) return super.transferFrom(from, to, value);
        (uint256 fromStanding, uint256 spenderStanding) = _consortium.standings(from, spender);
        if (!Roles.allows(spenderStanding, Roles.LEDGER)) {
            _checkHolder(spender, spenderStanding);
            ERC20._spendAllowance(from, spender, value);
        }
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        _requireNotPaused();
        _checkHolder(from, fromStanding);
        _checkHolder(spender, spenderStanding);
        ERC20._update(from, spender, value);
        return true;
    }

    /// @dev Every move of credit (transfer, mint, burn) stops while this contract or the
    /// Consortium is paused; both sides must be allowed to hold credit.
    function _update(address from, address to, uint256 value) internal override whenNotPaused {
        if (from != address(0) && to != address(0)) {
            (uint256 fromStanding, uint256 toStanding) = _consortium.standings(from, to);
            _checkHolder(from, fromStanding);
            _checkHolder(to, toStanding);
        } else {
            address account = from == address(0) ? to : from;
            _checkHolder(account, _consortium.standing(account));
        }
        super._update(from, to, value);
    }

    /// @dev Only reached from `transferFrom`: the spender moves credit, so it must be allowed
    /// to hold it too (an active member or a libledger contract).
    function _spendAllowance(address owner, address spender, uint256 value) internal override {
        uint256 spenderStanding = _consortium.standing(spender);
        if (Roles.allows(spenderStanding, Roles.LEDGER)) return;
        _checkHolder(spender, spenderStanding);
        super._spendAllowance(owner, spender, value);
    }

    /// @dev `accountStanding` is `Consortium.standing(account)`.
    function _checkHolder(address account, uint256 accountStanding) private pure {
        if (accountStanding & Roles.PAUSED_FLAG != 0) revert EnforcedPause();
        if (!Roles.mayHoldCredit(accountStanding)) revert CreditAccountNotAllowed(account);
    }
}
