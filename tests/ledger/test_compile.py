"""The committed artifacts are exactly what the pinned compiler makes from contracts/src."""

from __future__ import annotations

import json
import shutil

import pytest

from ledger.compile import ARTIFACTS_DIR, compile_contracts, pinned_solc_version, stale_artifacts, write_artifacts


@pytest.fixture(scope="module")
def result():
    return compile_contracts()


def test_committed_artifacts_are_fresh(result):
    assert result.artifacts, "no contracts compiled"
    stale = stale_artifacts(result)
    assert stale == [], f"stale artifacts {stale}: run `libledger compile` and commit contracts/out"


def test_artifact_carries_abi_bytecode_and_pinned_compiler():
    art = json.loads((ARTIFACTS_DIR / "Consortium.json").read_text())
    assert art["compiler"]["version"].startswith(pinned_solc_version() + "+commit.")
    assert art["bytecode"].startswith("0x60") and len(art["deployedBytecode"]) > 1000
    assert art["metadataHash"].startswith("0x") and len(art["metadataHash"]) == 66
    assert any(i.get("name") == "admit" for i in art["abi"])


def test_a_changed_artifact_is_reported_stale(tmp_path, result):
    out = tmp_path / "out"
    shutil.copytree(ARTIFACTS_DIR, out)
    p = out / "Credit.json"
    p.write_text(p.read_text().replace('"decimals"', '"decimalz"'))
    (out / "Removed.json").write_text("{}")
    assert stale_artifacts(result, out) == ["Credit", "Removed"]
    write_artifacts(result, out)
    assert stale_artifacts(result, out) == []
