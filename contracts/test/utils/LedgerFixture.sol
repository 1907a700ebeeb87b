// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {LedgerTest} from "./LedgerTest.sol";
import {Consortium} from "../../src/Consortium.sol";
import {Credit} from "../../src/Credit.sol";
import {Works} from "../../src/Works.sol";
import {Royalties} from "../../src/Royalties.sol";
import {SubsidyPools} from "../../src/SubsidyPools.sol";
import {Licensing} from "../../src/Licensing.sol";
import {Roles} from "../../src/access/Roles.sol";

/// @dev Deploys libledger as contracts/deploy-plan.json does (Consortium, Credit, Works,
/// Royalties, SubsidyPools, Licensing — which also keeps the digital loans; LEDGER_ROLE to each
/// but Consortium), admits
/// sample members and mints them credit. Reusable by every suite: call `_deployLedger()` from
/// `setUp()` (or inherit and keep the default `setUp`).
abstract contract LedgerFixture is LedgerTest {
    uint48 internal constant ADMIN_DELAY = 2 days;
    uint256 internal constant START_CREDIT = 1_000_000_00; // 1,000,000.00 in fen
    uint40 internal constant T0 = 1_750_000_000;

    Consortium internal consortium;
    Credit internal credit;
    Works internal works;
    Royalties internal royalties;
    SubsidyPools internal pools;
    Licensing internal licensing;
    /// Digital loans live in Licensing; `lending` names that role of it in the suites.
    Licensing internal lending;

    address internal governor;
    address internal publisher1;
    address internal publisher2;
    address internal library1;
    address internal library2;
    address internal library3;
    address internal platform; // platform treasury: receives the fee
    address internal treasury; // mints credit
    address internal sponsor;
    address internal auditor;
    address internal outsider; // no membership

    function setUp() public virtual {
        _deployLedger();
    }

    function _deployLedger() internal {
        vm.warp(T0);
        governor = makeAddr("governor");
        publisher1 = makeAddr("publisher1");
        publisher2 = makeAddr("publisher2");
        library1 = makeAddr("library1");
        library2 = makeAddr("library2");
        library3 = makeAddr("library3");
        platform = makeAddr("platform");
        treasury = makeAddr("treasury");
        sponsor = makeAddr("sponsor");
        auditor = makeAddr("auditor");
        outsider = makeAddr("outsider");

        consortium = new Consortium(governor, ADMIN_DELAY);
        credit = new Credit(consortium);
        works = new Works(consortium);
        royalties = new Royalties(consortium, credit, works);
        pools = new SubsidyPools(consortium, credit);
        licensing = new Licensing(consortium, works, royalties, pools);
        lending = licensing;

        vm.startPrank(governor);
        consortium.grantRole(Roles.LEDGER, address(credit));
        consortium.grantRole(Roles.LEDGER, address(works));
        consortium.grantRole(Roles.LEDGER, address(royalties));
        consortium.grantRole(Roles.LEDGER, address(pools));
        consortium.grantRole(Roles.LEDGER, address(licensing));
        credit.setRoyalties(address(royalties));
        _admit(publisher1, "PUB-ZJ-001", "Zhejiang People's Publishing", Roles.PUBLISHER);
        _admit(publisher2, "PUB-SH-002", "Shanghai Translation Publishing", Roles.PUBLISHER);
        _admit(library1, "CN-330000-ZJL", "Zhejiang Library", Roles.LIBRARY);
        _admit(library2, "CN-330100-HZL", "Hangzhou Public Library", Roles.LIBRARY);
        _admit(library3, "CN-330200-NBL", "Ningbo Library", Roles.LIBRARY);
        _admit(platform, "PLATFORM-OPS", "libledger platform", Roles.PLATFORM);
        _admit(treasury, "PLATFORM-FIN", "libledger finance desk", Roles.TREASURY);
        _admit(sponsor, "GOV-ZJ-CULTURE", "Zhejiang culture fund", Roles.SPONSOR);
        _admit(auditor, "AUDIT-01", "Provincial audit office", Roles.AUDITOR);
        consortium.setPlatformTreasury(platform);
        vm.stopPrank();

        vm.startPrank(treasury);
        credit.mint(library1, START_CREDIT);
        credit.mint(library2, START_CREDIT);
        credit.mint(library3, START_CREDIT);
        credit.mint(sponsor, START_CREDIT);
        vm.stopPrank();
    }

    function _admit(address account, string memory isil, string memory name, bytes32 role) internal {
        bytes32[] memory roles = new bytes32[](1);
        roles[0] = role;
        consortium.admit(account, isil, name, roles);
    }

    // ------------------------------------------------------------------ helpers

    /// @dev `lib` prepays `amount` fen into its Royalties deposit (metered checkouts pay from it).
    function _deposit(address lib, uint256 amount) internal {
        vm.prank(lib);
        royalties.deposit(amount);
    }

    function _one(address a) internal pure returns (address[] memory accounts, uint16[] memory bps) {
        accounts = new address[](1);
        accounts[0] = a;
        bps = new uint16[](1);
        bps[0] = 10_000;
    }

    function _two(address a, uint16 aBps, address b) internal pure returns (address[] memory accounts, uint16[] memory bps) {
        accounts = new address[](2);
        accounts[0] = a;
        accounts[1] = b;
        bps = new uint16[](2);
        bps[0] = aBps;
        bps[1] = 10_000 - aBps;
    }

    function _hash(uint256 seed) internal pure returns (bytes32) {
        return keccak256(abi.encode("libledger test work", seed));
    }

    function _iscc(uint256 seed) internal pure returns (bytes memory) {
        return abi.encodePacked(bytes16(keccak256(abi.encode("iscc", seed))));
    }

    /// @dev publisher1 registers work `seed` paying publisher1 70% / publisher2 30% of the holder side.
    function _registerWork(uint256 seed) internal returns (uint256 workId) {
        (address[] memory p, uint16[] memory b) = _two(publisher1, 7_000, publisher2);
        vm.prank(publisher1);
        workId = works.registerWork(
            _hash(seed), _iscc(seed), "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", p, b
        );
    }

    function _termsInput(Licensing.TermsKind kind, uint96 price) internal pure returns (Licensing.TermsInput memory t) {
        t = Licensing.TermsInput({
            kind: kind,
            price: price,
            copies: 1,
            loanPeriod: 14 days,
            maxLoansPerCopy: 0,
            duration: kind == Licensing.TermsKind.Subscription ? 365 days : 0,
            territory: "CN",
            illAllowed: true,
            legalTextHash: keccak256("standard e-lending licence v1"),
            legalTextURI: "ipfs://bafkreilegaltext"
        });
    }

    function _publish(Licensing.TermsInput memory t) internal returns (uint256 termsId) {
        vm.prank(publisher1);
        termsId = licensing.publishTerms(t);
    }

    /// @dev publisher1 publishes `t` and attaches it to `workId` (held by publisher1).
    function _offer(uint256 workId, Licensing.TermsInput memory t) internal returns (uint256 termsId) {
        termsId = _publish(t);
        vm.prank(publisher1);
        licensing.attachTerms(workId, termsId);
    }

    function _acquire(address lib, uint256 workId, uint256 termsId, uint256 copies) internal returns (uint256) {
        vm.prank(lib);
        return licensing.acquire(workId, termsId, copies);
    }
}
