"""The CLI end to end: chain up/down keeps state; expected failures are one line and exit 1."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import free_port

LIBLEDGER = [sys.executable, "-m", "ledger.cli"]


def run(args, env, check=True):
    proc = subprocess.run(LIBLEDGER + args, env=env, capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed: {proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def cli_env(tmp_path):
    env = dict(os.environ)
    env.update(LIBLEDGER_DATA_DIR=str(tmp_path / "data"), LIBLEDGER_ANVIL_PORT=str(free_port()), COLUMNS="200")
    env.pop("LIBLEDGER_RPC_URL", None)
    env.pop("LIBLEDGER_KEYSTORE_PASSWORD", None)
    yield env
    subprocess.run(LIBLEDGER + ["chain", "down"], env=env, capture_output=True, timeout=60)


def assert_one_line_error(proc, *needles):
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    for n in needles:
        assert n in lines[0], lines[0]


def test_quickstart_then_state_survives_down_up(cli_env):
    out = run(["quickstart", "--no-serve"], cli_env).stdout
    assert "Consortium" in out and "manifest:" in out
    head = int(run(["chain", "status"], cli_env).stdout.split("block ")[1].split()[0])
    assert head >= 3
    run(["chain", "down"], cli_env)
    assert run(["chain", "status"], cli_env, check=False).returncode == 3
    run(["chain", "up"], cli_env)
    again = run(["deploy"], cli_env).stdout
    assert "deployment verified on chain" in again
    assert int(run(["chain", "status"], cli_env).stdout.split("block ")[1].split()[0]) == head


def test_node_down_is_one_clear_line(cli_env):
    assert_one_line_error(run(["deploy"], cli_env, check=False), "cannot reach the chain", "libledger chain up")


def test_wrong_rpc_url_is_one_clear_line(cli_env):
    assert_one_line_error(run(["deploy", "--rpc-url", "http://127.0.0.1:1"], cli_env, check=False), "http://127.0.0.1:1")


def test_wrong_keystore_password_is_one_clear_line(cli_env):
    run(["keys", "new", "governor"], cli_env)
    cli_env["LIBLEDGER_KEYSTORE_PASSWORD"] = "not-the-dev-password"
    run(["chain", "up"], cli_env)
    assert_one_line_error(run(["deploy"], cli_env, check=False), "wrong password for key 'governor'")


def test_manifest_from_another_chain_is_one_clear_line(cli_env, tmp_path):
    run(["quickstart", "--no-serve"], cli_env)
    run(["chain", "down"], cli_env)
    chain_dir = tmp_path / "data" / "chain"
    (chain_dir / "state.json").unlink()  # a brand-new chain with the same id
    run(["chain", "up"], cli_env)
    assert_one_line_error(run(["deploy"], cli_env, check=False), "another chain")


def test_qbft_profile_requires_a_password(cli_env):
    cli_env["LIBLEDGER_CHAIN_PROFILE"] = "qbft"
    run(["chain", "up"], cli_env)
    assert_one_line_error(run(["deploy"], cli_env, check=False), "LIBLEDGER_KEYSTORE_PASSWORD")
