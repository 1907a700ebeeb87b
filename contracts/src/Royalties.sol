// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Consortium} from "./Consortium.sol";
import {Credit} from "./Credit.sol";
import {Works} from "./Works.sol";
import {ConsortiumGuarded} from "./access/ConsortiumGuarded.sol";
import {Roles} from "./access/Roles.sol";
import {IRoyalties} from "./interfaces/IRoyalties.sol";

/// @title Royalties — the one payment entry of libledger and its pull-payment balances.
/// @notice Every payment for a work runs `_split`: the platform fee
/// `floor(gross * feeBps / 10000)` is credited to the platform treasury, the holder side
/// `gross - fee` to the work's payees by basis points with the integer remainder to the first
/// payee. While a work is disputed its holder side goes to the work's escrow instead; after the
/// governor's ruling anyone may release the escrow to whom the ruling names. Balances are
/// withdrawn with `withdraw()`; no payment ever pushes credit to a payee.
/// A library may prepay credit into its deposit here (`deposit`, `withdrawDeposit`); metered
/// checkouts are paid from it (`payFromDeposit`), which spares a credit transfer per loan.
/// @dev Credit held by this contract == sum of balances (the accrued platform fee included)
/// + sum of escrows + sum of deposits, always.
contract Royalties is IRoyalties, ConsortiumGuarded {
    using SafeERC20 for IERC20;

    uint256 public constant BPS_DENOMINATOR = 10_000;
    uint256 public constant MAX_PAYEES = 16;

    Credit private immutable _credit;
    Works private immutable _works;

    /// A payment's parameters, kept together to stay within the stack.
    struct Payment {
        address payer;
        uint256 workId;
        uint256 termsId;
        uint16 feeBps;
        PaymentRef refKind;
        uint256 refId;
        uint256 gross;
    }

    /// Reentrancy lock (1 open, 2 entered), declared first so that it shares slot 0 with the
    /// pause flag: `withdraw` reads both for the price of one cold slot.
    uint8 private _lock = LOCK_OPEN;
    uint8 private constant LOCK_OPEN = 1;
    uint8 private constant LOCK_ENTERED = 2;
    /// Platform fees accrued for `_feeAccount` and not yet moved to `_balances`: slot 0 with the
    /// pause flag and the lock, which every payment reads anyway, so crediting the fee costs a
    /// warm write instead of a cold balance slot. `balanceOf`/`withdraw` add it for that account;
    /// when the platform treasury changes (or 80 bits would overflow) it moves to `_balances`.
    uint80 private _feesAccrued;
    address private _feeAccount;

    mapping(address account => uint256) private _balances;
    mapping(uint256 workId => uint256) private _escrow;
    /// Credit a library prepaid for metered loans, in fen.
    mapping(address account => uint256) private _deposits;

    /// The platform fee of a payment of `gross` fen rounds to zero.
    error PaymentTooLow(uint256 gross);
    error RoyaltiesFeeBpsTooHigh(uint256 feeBps);
    /// `split` was given `count` shares summing to `sum` (need 1–16 summing to 10,000; `sum` is
    /// 0 when the count alone is out of range).
    error RoyaltiesInvalidShares(uint256 count, uint256 sum);
    error RoyaltiesWorkRevoked(uint256 workId);
    error RoyaltiesEscrowLocked(uint256 workId);
    error RoyaltiesNoEscrow(uint256 workId);
    error RoyaltiesNothingToWithdraw(address account);
    error RoyaltiesNoPlatformTreasury();
    /// `account`'s deposit holds `available` fen, a payment or withdrawal needs `needed`.
    error DepositTooLow(address account, uint256 available, uint256 needed);
    error RoyaltiesZeroAmount();
    /// Same error as OpenZeppelin's ReentrancyGuard, which this contract used before.
    error ReentrancyGuardReentrantCall();

    /// A payment whose holder side went to the payees.
    event RoyaltyPaid(
        uint256 indexed workId,
        uint256 indexed termsId,
        PaymentRef refKind,
        uint256 indexed refId,
        address payer,
        uint256 gross,
        uint256 fee,
        address feeRecipient,
        address[] payees,
        uint256[] nets
    );
    /// A payment for a disputed work whose holder side (`held`) went to escrow.
    event RoyaltyEscrowed(
        uint256 indexed workId,
        uint256 indexed termsId,
        PaymentRef refKind,
        uint256 indexed refId,
        address payer,
        uint256 gross,
        uint256 fee,
        address feeRecipient,
        uint256 held
    );
    event EscrowReleased(uint256 indexed workId, uint256 amount, address[] accounts, uint256[] amounts);
    event Withdrawn(address indexed account, uint256 amount);
    /// `account` prepaid `amount` fen into its deposit, which now holds `balance` fen.
    event Deposited(address indexed account, uint256 amount, uint256 balance);
    /// `account` took `amount` fen back from its deposit, which now holds `balance` fen.
    event DepositWithdrawn(address indexed account, uint256 amount, uint256 balance);

    constructor(Consortium consortium_, Credit credit_, Works works_) ConsortiumGuarded(consortium_) {
        _credit = credit_;
        _works = works_;
    }

    modifier nonReentrant() {
        if (_lock != LOCK_OPEN) revert ReentrancyGuardReentrantCall();
        _lock = LOCK_ENTERED;
        _;
        _lock = LOCK_OPEN;
    }

    // ------------------------------------------------------------------ payments

    /// @inheritdoc IRoyalties
    function pay(
        address payer,
        uint256 workId,
        uint256 termsId,
        uint16 feeBps,
        PaymentRef refKind,
        uint256 refId,
        uint256 gross
    ) external onlyRole(Roles.LEDGER) whenNotPaused returns (uint256 fee) {
        if (feeBps > BPS_DENOMINATOR) revert RoyaltiesFeeBpsTooHigh(feeBps);
        fee = _pay(Payment(payer, workId, termsId, feeBps, refKind, refId, gross));
        IERC20(_credit).safeTransferFrom(payer, address(this), gross);
    }

    /// @notice Same as `pay`, but the `gross` fen come from `payer`'s deposit here instead of a
    /// credit transfer (metered checkouts). Reverts with `DepositTooLow` when the deposit holds
    /// less than `gross`.
    function payFromDeposit(
        address payer,
        uint256 workId,
        uint256 termsId,
        uint16 feeBps,
        PaymentRef refKind,
        uint256 refId,
        uint256 gross
    ) external onlyRole(Roles.LEDGER) whenNotPaused returns (uint256 fee) {
        if (feeBps > BPS_DENOMINATOR) revert RoyaltiesFeeBpsTooHigh(feeBps);
        uint256 available = _deposits[payer];
        if (available < gross) revert DepositTooLow(payer, available, gross);
        unchecked {
            _deposits[payer] = available - gross;
        }
        fee = _pay(Payment(payer, workId, termsId, feeBps, refKind, refId, gross));
    }

    // ------------------------------------------------------------------ deposits

    /// @notice Prepays `amount` fen of the caller's credit into its deposit, from which metered
    /// checkouts are paid. Library members only.
    function deposit(uint256 amount) external onlyRole(Roles.LIBRARY) nonReentrant whenNotPaused returns (uint256 balance) {
        if (amount == 0) revert RoyaltiesZeroAmount();
        balance = _deposits[msg.sender] + amount;
        _deposits[msg.sender] = balance;
        emit Deposited(msg.sender, amount, balance);
        IERC20(_credit).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Returns `amount` fen of the caller's deposit to its credit balance.
    function withdrawDeposit(uint256 amount) external nonReentrant whenNotPaused returns (uint256 balance) {
        if (amount == 0) revert RoyaltiesZeroAmount();
        uint256 available = _deposits[msg.sender];
        if (available < amount) revert DepositTooLow(msg.sender, available, amount);
        unchecked {
            balance = available - amount;
        }
        _deposits[msg.sender] = balance;
        emit DepositWithdrawn(msg.sender, amount, balance);
        IERC20(_credit).safeTransfer(msg.sender, amount);
    }

    /// @notice Pays out the escrow of a work whose dispute the governor has ruled on: to the
    /// current payees (uphold, transfer) or to the named beneficiary (revoke). Anyone may call.
    function releaseEscrow(uint256 workId) external whenNotPaused returns (uint256 amount) {
        amount = _escrow[workId];
        if (amount == 0) revert RoyaltiesNoEscrow(workId);
        (Works.WorkStatus status, address[] memory accounts, uint16[] memory bps) = _works.payout(workId);
        if (status == Works.WorkStatus.Disputed) revert RoyaltiesEscrowLocked(workId);
        _escrow[workId] = 0;
        uint256[] memory amounts = _divide(amount, bps);
        uint256 n = accounts.length; // <= 16 payees
        for (uint256 i = 0; i < n; ++i) {
            _balances[accounts[i]] += amounts[i];
        }
        emit EscrowReleased(workId, amount, accounts, amounts);
    }

    /// @notice Transfers the caller's whole balance to the caller (pull payment).
    /// @dev Checks-effects-interactions under the lock: the balance is zeroed and `Withdrawn`
    /// emitted before the one external call, `Credit.payOut` (only this contract may call it;
    /// Credit checks its own and the Consortium's pause and that the caller may hold credit).
    function withdraw() external nonReentrant whenNotPaused returns (uint256 amount) {
        amount = _balances[msg.sender];
        if (msg.sender == _feeAccount) {
            amount += _feesAccrued;
            _feesAccrued = 0;
        }
        if (amount == 0) revert RoyaltiesNothingToWithdraw(msg.sender);
        _balances[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        _credit.payOut(msg.sender, amount);
    }

    // ------------------------------------------------------------------ views

    /// @notice Unwithdrawn fen credited to `account`.
    function balanceOf(address account) external view returns (uint256) {
        return account == _feeAccount ? _balances[account] + _feesAccrued : _balances[account];
    }

    /// @notice Fen `account` has prepaid for metered loans and not yet spent or taken back.
    function depositOf(address account) external view returns (uint256) {
        return _deposits[account];
    }

    /// @notice Fen held in escrow for the disputed (or not yet released) work `workId`.
    function escrowOf(uint256 workId) external view returns (uint256) {
        return _escrow[workId];
    }

    /// @notice The split of `gross` fen at `feeBps` among payees with `bps` (the exact function
    /// every payment uses; `rights/split.py` is its Python twin). `bps` must hold 1–16 shares
    /// summing to 10,000, as Works guarantees for every work.
    function split(uint256 gross, uint16 feeBps, uint16[] calldata bps)
        external
        pure
        returns (uint256 fee, uint256[] memory nets)
    {
        if (feeBps > BPS_DENOMINATOR) revert RoyaltiesFeeBpsTooHigh(feeBps);
        uint256 n = bps.length;
        if (n == 0 || n > MAX_PAYEES) revert RoyaltiesInvalidShares(n, 0);
        uint256 sum;
        for (uint256 i = 0; i < n; ++i) {
            sum += bps[i];
        }
        if (sum != BPS_DENOMINATOR) revert RoyaltiesInvalidShares(n, sum);
        return _split(gross, feeBps, bps);
    }

    /// @notice What a payment of `gross` fen for `workId` at `feeBps` would credit now.
    function previewPayment(uint256 workId, uint16 feeBps, uint256 gross)
        external
        view
        returns (uint256 fee, address[] memory payees, uint256[] memory nets)
    {
        if (feeBps > BPS_DENOMINATOR) revert RoyaltiesFeeBpsTooHigh(feeBps);
        uint16[] memory bps;
        (, payees, bps) = _works.payout(workId);
        (fee, nets) = _split(gross, feeBps, bps);
    }

    function credit() external view returns (Credit) {
        return _credit;
    }

    function works() external view returns (Works) {
        return _works;
    }

    // ------------------------------------------------------------------ internals

    /// @dev Credits the split of `p` (fee to the treasury; holder side to the payees, or to
    /// escrow while the work is disputed). The caller collects the gross from the payer.
    function _pay(Payment memory p) private returns (uint256 fee) {
        (Works.WorkStatus status, address[] memory accounts, uint16[] memory bps) = _works.payout(p.workId);
        if (status == Works.WorkStatus.Revoked) revert RoyaltiesWorkRevoked(p.workId);
        address treasury = _consortium.platformTreasury();
        if (treasury == address(0)) revert RoyaltiesNoPlatformTreasury();

        uint256[] memory nets;
        (fee, nets) = _split(p.gross, p.feeBps, bps);
        _accrueFee(treasury, fee);
        if (status == Works.WorkStatus.Disputed) {
            uint256 held;
            // fee <= gross by construction of _split
            unchecked {
                held = p.gross - fee;
            }
            _escrow[p.workId] += held;
            emit RoyaltyEscrowed(
                p.workId, p.termsId, p.refKind, p.refId, p.payer, p.gross, fee, treasury, held
            );
        } else {
            uint256 n = accounts.length; // <= 16 payees
            for (uint256 i = 0; i < n; ++i) {
                _balances[accounts[i]] += nets[i];
            }
            emit RoyaltyPaid(p.workId, p.termsId, p.refKind, p.refId, p.payer, p.gross, fee, treasury, accounts, nets);
        }
    }

    /// @dev Credits `fee` fen to `treasury` in the slot-0 accumulator; what accrued for a
    /// previous treasury (or would overflow 80 bits) moves to `_balances` first.
    function _accrueFee(address treasury, uint256 fee) private {
        address account = _feeAccount;
        uint256 accrued = _feesAccrued;
        if (account == treasury) {
            uint256 sum = accrued + fee;
            if (sum <= type(uint80).max) {
                // forge-lint: disable-next-line(unsafe-typecast)
                _feesAccrued = uint80(sum);
                return;
            }
        } else {
            _feeAccount = treasury;
        }
        if (accrued != 0) _balances[account] += accrued;
        if (fee <= type(uint80).max) {
            // forge-lint: disable-next-line(unsafe-typecast)
            _feesAccrued = uint80(fee);
        } else {
            _feesAccrued = 0;
            _balances[treasury] += fee;
        }
    }

    // ------------------------------------------------------------------ the split

    /// @dev THE split: fee = floor(gross * feeBps / 10000), reverting when it rounds to zero;
    /// the holder side gross - fee is divided by `_divide`. Requires feeBps <= 10000.
    function _split(uint256 gross, uint16 feeBps, uint16[] memory bps)
        internal
        pure
        returns (uint256 fee, uint256[] memory nets)
    {
        fee = gross * feeBps / BPS_DENOMINATOR;
        if (fee == 0) revert PaymentTooLow(gross);
        uint256 holders;
        // fee <= gross because feeBps <= 10000
        unchecked {
            holders = gross - fee;
        }
        nets = _divide(holders, bps);
    }

    /// @dev Divides `amount` by `bps` (summing to 10000, at most 16 entries): each share
    /// floor(amount * bps[i] / 10000), the integer remainder to the first entry.
    function _divide(uint256 amount, uint16[] memory bps) internal pure returns (uint256[] memory parts) {
        uint256 n = bps.length;
        parts = new uint256[](n);
        uint256 given;
        for (uint256 i = 0; i < n; ++i) {
            uint256 part = amount * bps[i] / BPS_DENOMINATOR;
            parts[i] = part;
            given += part;
        }
        // the shares floor, and bps sum to 10000, so given <= amount
        unchecked {
            parts[0] += amount - given;
        }
    }
}
