// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Consortium} from "./Consortium.sol";
import {ConsortiumGuarded} from "./access/ConsortiumGuarded.sol";
import {Roles} from "./access/Roles.sol";

/// @title Credit — the consortium's settlement credit (ERC-20, 2 decimals: 1 credit unit = 1 fen).
/// @notice Minted by the treasury against deposits made outside the chain and burned on
/// cash-out. Only active members and libledger contracts may hold or move it, and none of it
/// moves while the Consortium (or this contract) is paused. libledger
/// contracts (LEDGER_ROLE) move a member's credit without an allowance, so a purchase is one
/// transaction; they only do so inside the member's own call.
/// @dev The ERC-20 core is OpenZeppelin's `ERC20` (v5.7) with one change of storage: the credit
/// held by the Royalties contract (set once by the governor, `setRoyalties`) lives in slot 0
/// beside the pause flag, which every move reads anyway, and a move to or from Royalties looks
/// up only the other side's standing (Royalties is a known libledger contract; the governor
/// stops it with either pause). Same functions, events and errors as OpenZeppelin's ERC20.
/// The ERC-20 core below derives from OpenZeppelin Contracts v5.7 `token/ERC20/ERC20.sol`
/// (MIT licence, Copyright (c) 2016-2025 Zeppelin Group Ltd).
contract Credit is ConsortiumGuarded, IERC20Metadata, IERC20Errors {
    /// At most 2^88 - 1 fen (~3.1e24 credits) exist, so Royalties' holding always fits its
    /// 88 bits of slot 0.
    uint256 public constant MAX_SUPPLY = type(uint88).max;

    /// Slot 0: Pausable's flag (byte 0), then the Royalties contract (bytes 1-20) and the fen
    /// it holds (bytes 21-31).
    address private _royalties;
    uint88 private _royaltiesBalance;

    mapping(address account => uint256) private _balances;
    mapping(address account => mapping(address spender => uint256)) private _allowances;
    uint256 private _totalSupply;

    /// `account` may not hold or move credit (not an active member nor a libledger contract).
    error CreditAccountNotAllowed(address account);
    /// Minting would raise the supply to `supply` fen, above `MAX_SUPPLY`.
    error CreditSupplyCapExceeded(uint256 supply, uint256 cap);
    /// The Royalties contract is set once; it already is `current`.
    error CreditRoyaltiesAlreadySet(address current);
    /// Only the Royalties contract pays out royalties (`payOut`); `caller` is not it.
    error CreditNotRoyalties(address caller);

    /// The governor named the Royalties contract whose credit sits in slot 0.
    event RoyaltiesSet(address indexed royalties);

    constructor(Consortium consortium_) ConsortiumGuarded(consortium_) {}

    // ------------------------------------------------------------------ metadata and views

    function name() external pure returns (string memory) {
        return "libledger credit";
    }

    function symbol() external pure returns (string memory) {
        return "LLC";
    }

    /// @notice Credit counts fen: 2 decimals.
    function decimals() external pure returns (uint8) {
        return 2;
    }

    function totalSupply() external view returns (uint256) {
        return _totalSupply;
    }

    /// @notice Fen held by `account`.
    function balanceOf(address account) external view returns (uint256) {
        // before `setRoyalties` both are zero and `_royaltiesBalance` is 0, as is `_balances[0]`
        return account == _royalties ? _royaltiesBalance : _balances[account];
    }

    function allowance(address owner, address spender) public view returns (uint256) {
        return _allowances[owner][spender];
    }

    /// @notice The Royalties contract whose credit lives in slot 0 (zero until set).
    function royalties() external view returns (address) {
        return _royalties;
    }

    // ------------------------------------------------------------------ governor

    /// @notice Names the Royalties contract, once (deployment). It must hold LEDGER_ROLE; what
    /// it already holds moves into slot 0.
    function setRoyalties(address royalties_) external onlyRole(Roles.GOVERNOR) {
        if (_royalties != address(0)) revert CreditRoyaltiesAlreadySet(_royalties);
        if (!Roles.allows(_consortium.standing(royalties_), Roles.LEDGER)) revert CreditAccountNotAllowed(royalties_);
        uint256 held = _balances[royalties_];
        _balances[royalties_] = 0;
        _royalties = royalties_;
        // held <= totalSupply <= MAX_SUPPLY = type(uint88).max
        // forge-lint: disable-next-line(unsafe-typecast)
        _royaltiesBalance = uint88(held);
        emit RoyaltiesSet(royalties_);
    }

    // ------------------------------------------------------------------ treasury

    /// @notice Mints `amount` fen to `to` against an off-chain deposit.
    function mint(address to, uint256 amount) external onlyRole(Roles.TREASURY) {
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        uint256 supply = _totalSupply + amount;
        if (supply > MAX_SUPPLY) revert CreditSupplyCapExceeded(supply, MAX_SUPPLY);
        _update(address(0), to, amount);
    }

    /// @notice Burns `amount` fen from the treasury's own balance (a member cashes out by
    /// transferring to the treasury first).
    function burn(uint256 amount) external onlyRole(Roles.TREASURY) {
        _update(msg.sender, address(0), amount);
    }

    // ------------------------------------------------------------------ ERC-20

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        _approve(msg.sender, spender, value, true);
        return true;
    }

    /// @notice ERC-20 `transferFrom`; a libledger contract (LEDGER_ROLE) needs no allowance.
    /// @dev When the spender pulls to itself (every Royalties payment), one Consortium look-up
    /// serves the owner, the spender and the recipient; same checks and errors as otherwise.
    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        address spender = msg.sender;
        if (to != spender) {
            _spendAllowance(from, spender, value);
            _transfer(from, to, value);
            return true;
        }
        (uint256 fromStanding, uint256 spenderStanding) = _consortium.standings(from, spender);
        if (!Roles.allows(spenderStanding, Roles.LEDGER)) {
            _checkHolder(spender, spenderStanding);
            _spendAllowanceOf(from, spender, value);
        }
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        _requireNotPaused();
        _checkHolder(from, fromStanding);
        _checkHolder(spender, spenderStanding);
        _move(from, spender, value);
        return true;
    }

    // ------------------------------------------------------------------ royalties

    /// @notice Pays `value` fen of the Royalties contract's credit to `to`: its `withdraw`.
    /// Only Royalties calls it; same checks as a transfer from Royalties (neither this contract
    /// nor the Consortium paused, `to` an account that may hold credit), same `Transfer` event.
    /// @dev The transfer path with slot 0 read once and no return value to check.
    function payOut(address to, uint256 value) external {
        // slot 0 read once: pause flag (bits 0-7), Royalties (bits 8-167), its fen (bits 168-255)
        uint256 word;
        assembly ("memory-safe") {
            word := sload(_royalties.slot)
        }
        if (msg.sender != address(uint160(word >> 8))) revert CreditNotRoyalties(msg.sender);
        if (word & 0xff != 0) revert EnforcedPause();
        if (to == address(0) || to == msg.sender) revert ERC20InvalidReceiver(to);
        _checkHolder(to, _consortium.standing(to));
        uint256 held = word >> 168;
        if (held < value) revert ERC20InsufficientBalance(msg.sender, held, value);
        // value <= held; a balance plus value never exceeds totalSupply
        unchecked {
            word -= value << 168;
            _balances[to] += value;
        }
        assembly ("memory-safe") {
            sstore(_royalties.slot, word)
        }
        emit Transfer(msg.sender, to, value);
    }

    // ------------------------------------------------------------------ internals

    function _transfer(address from, address to, uint256 value) private {
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        _update(from, to, value);
    }

    /// @dev Every move of credit (transfer, mint, burn) stops while this contract or the
    /// Consortium is paused; both sides must be allowed to hold credit. The Royalties contract
    /// is known (set by the governor), so a move to or from it checks the other side only.
    function _update(address from, address to, uint256 value) private whenNotPaused {
        if (from != address(0) && to != address(0)) {
            address royaltiesAccount = _royalties;
            if (from == royaltiesAccount) {
                _checkHolder(to, _consortium.standing(to));
            } else if (to == royaltiesAccount) {
                _checkHolder(from, _consortium.standing(from));
            } else {
                (uint256 fromStanding, uint256 toStanding) = _consortium.standings(from, to);
                _checkHolder(from, fromStanding);
                _checkHolder(to, toStanding);
            }
        } else {
            address account = from == address(0) ? to : from;
            _checkHolder(account, _consortium.standing(account));
        }
        _move(from, to, value);
    }

    /// @dev OpenZeppelin's `ERC20._update` (no checks), with Royalties' credit in slot 0.
    function _move(address from, address to, uint256 value) private {
        address royaltiesAccount = _royalties;
        if (from == address(0)) {
            _totalSupply += value;
        } else if (from == royaltiesAccount) {
            uint256 fromBalance = _royaltiesBalance;
            if (fromBalance < value) revert ERC20InsufficientBalance(from, fromBalance, value);
            // value <= fromBalance
            unchecked {
                // forge-lint: disable-next-line(unsafe-typecast)
                _royaltiesBalance = uint88(fromBalance - value);
            }
        } else {
            uint256 fromBalance = _balances[from];
            if (fromBalance < value) revert ERC20InsufficientBalance(from, fromBalance, value);
            // value <= fromBalance
            unchecked {
                _balances[from] = fromBalance - value;
            }
        }
        if (to == address(0)) {
            // value <= a balance <= totalSupply
            unchecked {
                _totalSupply -= value;
            }
        } else if (to == royaltiesAccount) {
            // a balance plus value never exceeds totalSupply <= MAX_SUPPLY = type(uint88).max
            unchecked {
                // forge-lint: disable-next-line(unsafe-typecast)
                _royaltiesBalance = uint88(_royaltiesBalance + value);
            }
        } else {
            // a balance plus value never exceeds totalSupply
            unchecked {
                _balances[to] += value;
            }
        }
        emit Transfer(from, to, value);
    }

    function _approve(address owner, address spender, uint256 value, bool emitEvent) private {
        if (owner == address(0)) revert ERC20InvalidApprover(address(0));
        if (spender == address(0)) revert ERC20InvalidSpender(address(0));
        _allowances[owner][spender] = value;
        if (emitEvent) emit Approval(owner, spender, value);
    }

    /// @dev The spender moves credit, so it must be allowed to hold it too (an active member
    /// or a libledger contract); a libledger contract needs no allowance.
    function _spendAllowance(address owner, address spender, uint256 value) private {
        uint256 spenderStanding = _consortium.standing(spender);
        if (Roles.allows(spenderStanding, Roles.LEDGER)) return;
        _checkHolder(spender, spenderStanding);
        _spendAllowanceOf(owner, spender, value);
    }

    /// @dev OpenZeppelin's `ERC20._spendAllowance`: an infinite allowance is never spent.
    function _spendAllowanceOf(address owner, address spender, uint256 value) private {
        uint256 currentAllowance = _allowances[owner][spender];
        if (currentAllowance < type(uint256).max) {
            if (currentAllowance < value) revert ERC20InsufficientAllowance(spender, currentAllowance, value);
            // value <= currentAllowance
            unchecked {
                _approve(owner, spender, currentAllowance - value, false);
            }
        }
    }

    /// @dev `accountStanding` is `Consortium.standing(account)`.
    function _checkHolder(address account, uint256 accountStanding) private pure {
        if (accountStanding & Roles.PAUSED_FLAG != 0) revert EnforcedPause();
        if (!Roles.mayHoldCredit(accountStanding)) revert CreditAccountNotAllowed(account);
    }
}
