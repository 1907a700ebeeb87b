"""Deploy, verify instead of redeploying, refuse manifests of other chains."""

from __future__ import annotations

import dataclasses

import pytest

from ledger import manifest as manifests
from ledger import roles
from ledger.chain import Chain
from ledger.deploy import deploy, load_plan, verify
from ledger.errors import ManifestError


@pytest.fixture(autouse=True)
def restore_manifest(settings, deployment):
    """These tests write other manifests into the shared data dir: put the real one back."""
    yield
    manifests.save(deployment, settings.manifest_path)


def test_deployment_wires_roles_and_members(chain, actors, deployment):
    consortium = chain.contract("Consortium")
    for entry in load_plan():
        has = consortium.call("hasActiveRole", roles.LEDGER, deployment.address(entry["name"]))
        assert has == entry["ledger"], entry["name"]
    assert consortium.call("platformTreasury") == actors.platform.address
    assert consortium.call("hasActiveRole", roles.LIBRARY, actors.library.address)
    assert consortium.call("memberByInstitution", "CN-330000-ZJL") == actors.library.address
    assert not consortium.call("isActiveMember", actors.outsider.address)
    assert verify(chain, deployment) == []


def test_redeploy_verifies_instead_of_deploying(chain, settings, actors, deployment):
    manifests.save(deployment, settings.manifest_path)
    head = chain.block_number()
    again, deployed = deploy(settings, actors.governor)
    assert deployed is False
    assert again.contracts == deployment.contracts
    assert chain.block_number() == head


def test_manifest_of_another_chain_id_is_refused(chain, settings, actors, deployment):
    other = dataclasses.replace(deployment, chain_id=deployment.chain_id + 1)
    manifests.save(other, settings.manifest_path)
    with pytest.raises(ManifestError, match=r"chain id \d+, but the node .* is chain id"):
        deploy(settings, actors.governor)


def test_manifest_of_another_genesis_is_refused(chain, settings, actors, deployment):
    other = dataclasses.replace(deployment, genesis_hash="0x" + "ab" * 32)
    manifests.save(other, settings.manifest_path)
    with pytest.raises(ManifestError, match="another chain"):
        deploy(settings, actors.governor)


def test_missing_code_is_reported(chain, deployment):
    bogus = dataclasses.replace(deployment, contracts=dict(deployment.contracts))
    bogus.contracts["Credit"] = dataclasses.replace(deployment.contracts["Credit"], address="0x" + "12" * 20)
    assert verify(chain, bogus) == [f"Credit: no code at {'0x' + '12' * 20}"]


def test_missing_manifest_is_a_clear_error(tmp_path):
    with pytest.raises(ManifestError, match="no deployment manifest .* run `libledger deploy`"):
        manifests.load(tmp_path / "deployment.json")


def test_contract_lookup_without_manifest(settings):
    c = Chain(settings)
    try:
        with pytest.raises(ManifestError, match="run `libledger deploy` first"):
            c.contract("Credit")
    finally:
        c.close()
