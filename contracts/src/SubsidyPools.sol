// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Consortium} from "./Consortium.sol";
import {Credit} from "./Credit.sol";
import {ConsortiumGuarded} from "./access/ConsortiumGuarded.sol";
import {Roles} from "./access/Roles.sol";

/// @title SubsidyPools — culture-consumption vouchers: sponsors pay 70% of eligible purchases.
/// @notice A sponsor (government, enterprise) funds a pool with rules: eligible works (or all),
/// eligible libraries (or all), a per-library cap and an expiry. An eligible purchase draws 70%
/// of its price from the pool (`draw`, called by Licensing) and the buyer pays the rest; the
/// 70/30 rights split then applies to the whole price. After expiry anyone may return the
/// unspent remainder to the sponsor.
/// @dev Credit held by this contract == sum of the pools' balances, always.
contract SubsidyPools is ConsortiumGuarded {
    using SafeERC20 for IERC20;

    uint256 public constant SUBSIDY_BPS = 7_000;
    uint256 public constant BPS_DENOMINATOR = 10_000;
    /// Most work ids or libraries one call may add to a pool's rules.
    uint256 public constant MAX_RULE_ITEMS = 64;

    struct Pool {
        address sponsor;
        uint40 expiry; // draws allowed while block.timestamp < expiry
        bool allWorks;
        bool allLibraries;
        bool reclaimed;
        uint128 balance; // fen left to draw
        uint128 perLibraryCap; // most fen one library may draw, 0 = no cap
        uint128 funded; // fen paid in by the sponsor, in total
        uint128 drawn; // fen drawn by purchases, in total
    }

    mapping(uint256 poolId => Pool) private _pools;
    mapping(uint256 poolId => mapping(uint256 workId => bool)) private _eligibleWork;
    mapping(uint256 poolId => mapping(address buyer => bool)) private _eligibleLibrary;
    mapping(uint256 poolId => mapping(address buyer => uint256)) private _drawnBy;
    uint256 private _poolCount;

    Credit private immutable _credit;

    error SubsidyPoolsUnknownPool(uint256 poolId);
    error SubsidyPoolsZeroAmount();
    error SubsidyPoolsAmountTooLarge(uint256 amount);
    error SubsidyPoolsExpiryInPast(uint256 expiry, uint256 nowTs);
    error SubsidyPoolsTooManyItems(uint256 count, uint256 maxCount);
    error SubsidyPoolsNotSponsor(uint256 poolId, address account);
    error SubsidyPoolsExpired(uint256 poolId, uint256 expiry);
    error SubsidyPoolsNotExpired(uint256 poolId, uint256 expiry);
    error SubsidyPoolsOpenToAll(uint256 poolId);
    error SubsidyPoolsWorkNotEligible(uint256 poolId, uint256 workId);
    error SubsidyPoolsLibraryNotEligible(uint256 poolId, address buyer);
    error SubsidyPoolsCapExceeded(uint256 poolId, address buyer, uint256 drawn, uint256 amount, uint256 cap);
    error SubsidyPoolsInsufficientFunds(uint256 poolId, uint256 balance, uint256 amount);
    error SubsidyPoolsAlreadyReclaimed(uint256 poolId);

    event PoolCreated(
        uint256 indexed poolId,
        address indexed sponsor,
        uint256 amount,
        uint256 expiry,
        uint256 perLibraryCap,
        bool allWorks,
        bool allLibraries
    );
    event PoolFunded(uint256 indexed poolId, address indexed sponsor, uint256 amount);
    event EligibleWorksAdded(uint256 indexed poolId, uint256[] workIds);
    event EligibleLibrariesAdded(uint256 indexed poolId, address[] libraries);
    event SubsidyDrawn(
        uint256 indexed poolId, address indexed buyer, uint256 indexed workId, uint256 price, uint256 subsidy
    );
    event PoolReclaimed(uint256 indexed poolId, address indexed sponsor, uint256 amount);

    constructor(Consortium consortium_, Credit credit_) ConsortiumGuarded(consortium_) {
        _credit = credit_;
    }

    // ------------------------------------------------------------------ sponsor actions

    /// @notice Creates a pool funded with `amount` fen from the caller.
    /// @param workIds eligible works; empty = every work.
    /// @param libraries eligible libraries; empty = every library.
    /// @param perLibraryCap most fen one library may draw; 0 = no cap.
    /// @return poolId sequential id from 1.
    function createPool(
        uint128 amount,
        uint40 expiry,
        uint128 perLibraryCap,
        uint256[] calldata workIds,
        address[] calldata libraries
    ) external onlyRole(Roles.SPONSOR) whenNotPaused returns (uint256 poolId) {
        if (amount == 0) revert SubsidyPoolsZeroAmount();
        if (expiry <= block.timestamp) revert SubsidyPoolsExpiryInPast(expiry, block.timestamp);
        _checkItems(workIds.length);
        _checkItems(libraries.length);
        poolId = ++_poolCount;
        Pool storage p = _pools[poolId];
        p.sponsor = msg.sender;
        p.expiry = expiry;
        p.allWorks = workIds.length == 0;
        p.allLibraries = libraries.length == 0;
        p.balance = amount;
        p.funded = amount;
        p.perLibraryCap = perLibraryCap;
        emit PoolCreated(poolId, msg.sender, amount, expiry, perLibraryCap, p.allWorks, p.allLibraries);
        if (workIds.length != 0) _addWorks(poolId, workIds);
        if (libraries.length != 0) _addLibraries(poolId, libraries);
        IERC20(_credit).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice The pool's sponsor adds `amount` fen before expiry.
    function fund(uint256 poolId, uint128 amount) external onlyRole(Roles.SPONSOR) whenNotPaused {
        Pool storage p = _sponsorPool(poolId);
        if (amount == 0) revert SubsidyPoolsZeroAmount();
        if (uint256(p.funded) + amount > type(uint128).max) revert SubsidyPoolsAmountTooLarge(amount);
        // p.balance <= p.funded, and p.funded + amount fits (checked above)
        unchecked {
            p.balance += amount;
            p.funded += amount;
        }
        emit PoolFunded(poolId, msg.sender, amount);
        IERC20(_credit).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice The sponsor adds works to a pool limited to listed works.
    function addEligibleWorks(uint256 poolId, uint256[] calldata workIds)
        external
        onlyRole(Roles.SPONSOR)
        whenNotPaused
    {
        Pool storage p = _sponsorPool(poolId);
        if (p.allWorks) revert SubsidyPoolsOpenToAll(poolId);
        _checkItems(workIds.length);
        _addWorks(poolId, workIds);
    }

    /// @notice The sponsor adds libraries to a pool limited to listed libraries.
    function addEligibleLibraries(uint256 poolId, address[] calldata libraries)
        external
        onlyRole(Roles.SPONSOR)
        whenNotPaused
    {
        Pool storage p = _sponsorPool(poolId);
        if (p.allLibraries) revert SubsidyPoolsOpenToAll(poolId);
        _checkItems(libraries.length);
        _addLibraries(poolId, libraries);
    }

    /// @notice Returns the unspent remainder of an expired pool to its sponsor. Anyone may call.
    function reclaim(uint256 poolId) external whenNotPaused returns (uint256 amount) {
        Pool storage p = _pool(poolId);
        if (block.timestamp < p.expiry) revert SubsidyPoolsNotExpired(poolId, p.expiry);
        if (p.reclaimed) revert SubsidyPoolsAlreadyReclaimed(poolId);
        amount = p.balance;
        p.balance = 0;
        p.reclaimed = true;
        emit PoolReclaimed(poolId, p.sponsor, amount);
        if (amount != 0) IERC20(_credit).safeTransfer(p.sponsor, amount);
    }

    // ------------------------------------------------------------------ ledger hook

    /// @notice Draws the subsidy (70%, floored) of a purchase of `price` fen by `library` for
    /// `workId` and sends it to `to` (the buyer, who then pays the whole price).
    /// @dev Only libledger contracts (Licensing).
    /// @return subsidy fen drawn; the buyer's own share is `price - subsidy`.
    function draw(uint256 poolId, address buyer, uint256 workId, uint256 price, address to)
        external
        onlyRole(Roles.LEDGER)
        whenNotPaused
        returns (uint256 subsidy)
    {
        Pool storage p = _pool(poolId);
        if (block.timestamp >= p.expiry) revert SubsidyPoolsExpired(poolId, p.expiry);
        if (!p.allWorks && !_eligibleWork[poolId][workId]) revert SubsidyPoolsWorkNotEligible(poolId, workId);
        if (!p.allLibraries && !_eligibleLibrary[poolId][buyer]) {
            revert SubsidyPoolsLibraryNotEligible(poolId, buyer);
        }
        subsidy = subsidyOf(price);
        uint256 already = _drawnBy[poolId][buyer];
        uint256 cap = p.perLibraryCap;
        if (cap != 0 && already + subsidy > cap) {
            revert SubsidyPoolsCapExceeded(poolId, buyer, already, subsidy, cap);
        }
        uint256 balance = p.balance;
        if (subsidy > balance) revert SubsidyPoolsInsufficientFunds(poolId, balance, subsidy);
        // subsidy <= balance <= funded < 2^128, and drawn + balance == funded
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast)
            p.balance = uint128(balance - subsidy);
            // forge-lint: disable-next-line(unsafe-typecast)
            p.drawn += uint128(subsidy);
            _drawnBy[poolId][buyer] = already + subsidy;
        }
        emit SubsidyDrawn(poolId, buyer, workId, price, subsidy);
        IERC20(_credit).safeTransfer(to, subsidy);
    }

    // ------------------------------------------------------------------ views

    /// @notice The sponsor's share of a purchase of `price` fen: floor(price * 7000 / 10000).
    function subsidyOf(uint256 price) public pure returns (uint256) {
        return price * SUBSIDY_BPS / BPS_DENOMINATOR;
    }

    function pool(uint256 poolId) external view returns (Pool memory) {
        return _pool(poolId);
    }

    function poolCount() external view returns (uint256) {
        return _poolCount;
    }

    function isWorkEligible(uint256 poolId, uint256 workId) external view returns (bool) {
        return _pool(poolId).allWorks || _eligibleWork[poolId][workId];
    }

    function isLibraryEligible(uint256 poolId, address buyer) external view returns (bool) {
        return _pool(poolId).allLibraries || _eligibleLibrary[poolId][buyer];
    }

    /// @notice Fen `library` has drawn from `poolId` so far.
    function drawnBy(uint256 poolId, address buyer) external view returns (uint256) {
        return _drawnBy[poolId][buyer];
    }

    function credit() external view returns (Credit) {
        return _credit;
    }

    // ------------------------------------------------------------------ internals

    function _pool(uint256 poolId) private view returns (Pool storage p) {
        p = _pools[poolId];
        if (p.sponsor == address(0)) revert SubsidyPoolsUnknownPool(poolId);
    }

    function _sponsorPool(uint256 poolId) private view returns (Pool storage p) {
        p = _pool(poolId);
        if (p.sponsor != msg.sender) revert SubsidyPoolsNotSponsor(poolId, msg.sender);
        if (block.timestamp >= p.expiry) revert SubsidyPoolsExpired(poolId, p.expiry);
    }

    function _checkItems(uint256 n) private pure {
        if (n > MAX_RULE_ITEMS) revert SubsidyPoolsTooManyItems(n, MAX_RULE_ITEMS);
    }

    /// @dev Bounded by MAX_RULE_ITEMS.
    function _addWorks(uint256 poolId, uint256[] calldata workIds) private {
        for (uint256 i = 0; i < workIds.length; ++i) {
            _eligibleWork[poolId][workIds[i]] = true;
        }
        emit EligibleWorksAdded(poolId, workIds);
    }

    /// @dev Bounded by MAX_RULE_ITEMS.
    function _addLibraries(uint256 poolId, address[] calldata libraries) private {
        for (uint256 i = 0; i < libraries.length; ++i) {
            _eligibleLibrary[poolId][libraries[i]] = true;
        }
        emit EligibleLibrariesAdded(poolId, libraries);
    }
}
