// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ILicensing} from "../../src/interfaces/ILicensing.sol";

/// @title MockLicensing — test double of Licensing's copy accounting for ILL suites.
/// @dev Licences are configured directly by the test; `useCopy` enforces holder, ILL permission
/// and free copies like the real contract promises in ILicensing's NatSpec.
contract MockLicensing is ILicensing {
    struct Licence {
        address holder;
        bool illAllowed;
        uint32 copies;
        uint32 active;
        CopyGrant grant;
    }

    mapping(uint256 licenceId => Licence) public licences;
    address public lastCaller;

    error MockLicenceNotHeld(uint256 licenceId, address holder);
    error MockIllNotAllowed(uint256 licenceId);
    error MockNoFreeCopy(uint256 licenceId);
    error MockNothingToRelease(uint256 licenceId);

    function setLicence(
        uint256 licenceId,
        address holder,
        bool illAllowed,
        uint32 copies,
        uint256 workId,
        uint256 perLoanPrice,
        uint64 loanPeriod
    ) external {
        Licence storage l = licences[licenceId];
        l.holder = holder;
        l.illAllowed = illAllowed;
        l.copies = copies;
        l.grant =
            CopyGrant({workId: workId, termsId: 7, feeBps: 3000, perLoanPrice: perLoanPrice, loanPeriod: loanPeriod});
    }

    function active(uint256 licenceId) external view returns (uint256) {
        return licences[licenceId].active;
    }

    function useCopy(uint256 licenceId, address holder, bool forIll) external returns (CopyGrant memory) {
        Licence storage l = licences[licenceId];
        if (l.holder != holder) revert MockLicenceNotHeld(licenceId, holder);
        if (forIll && !l.illAllowed) revert MockIllNotAllowed(licenceId);
        if (l.active >= l.copies) revert MockNoFreeCopy(licenceId);
        l.active += 1;
        lastCaller = msg.sender;
        return l.grant;
    }

    function releaseCopy(uint256 licenceId) external {
        Licence storage l = licences[licenceId];
        if (l.active == 0) revert MockNothingToRelease(licenceId);
        l.active -= 1;
        lastCaller = msg.sender;
    }
}
