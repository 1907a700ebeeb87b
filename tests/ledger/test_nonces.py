"""Nonces reserved across OS processes (``ledger.nonces``) against a real anvil: two processes
signing for one account concurrently, and the gaps a failed or killed sender leaves behind."""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from eth_account import Account

from ledger.chain import Chain
from ledger.config import Settings
from ledger.nonces import SharedNonces
from ledger.pipeline import Call, TxPipeline

N_SINGLE = 20  # one transaction per submit, like API requests
N_BATCH = 20  # then one submit of this many (several nonces under one lock)
REPO = Path(__file__).resolve().parents[2]


def _noop(acct, n: int = 1) -> list[Call]:
    """Self-transfers of 0 wei (gas price 0 on the dev chain: no funds needed)."""
    return [Call(sender=acct, to=acct.address, data=b"", gas=21_000) for _ in range(n)]


def _sender(rpc_url: str, data_dir: str, key: str, barrier, results) -> None:
    """One OS process: N_SINGLE single submits, then one batch, for the shared account."""
    chain = Chain(Settings(rpc_url=rpc_url, data_dir=Path(data_dir), shared_nonces=True))
    acct = Account.from_key(key)
    try:
        barrier.wait(timeout=60)
        outs = [chain.pipeline.submit(_noop(acct))[0] for _ in range(N_SINGLE)]
        outs += chain.pipeline.submit(_noop(acct, N_BATCH))
        results.put((os.getpid(), [o.nonce for o in outs if o.ok], [str(o.error) for o in outs if not o.ok]))
    except Exception as exc:  # reported to the test, which fails on it
        results.put((os.getpid(), [], [repr(exc)]))
    finally:
        chain.close()


def _shared(chain: Chain, data_dir: Path) -> SharedNonces:
    return SharedNonces(chain.rpc, data_dir / "nonces", chain.chain_id)


def _latest_nonce(chain: Chain, address: str) -> int:
    return int(chain.rpc.call("eth_getTransactionCount", [address, "latest"]), 16)


def test_two_processes_signing_for_one_account_all_land(settings, tmp_path):
    acct = Account.create()
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_sender, args=(settings.rpc_url, str(tmp_path), acct.key.hex(), barrier, results)) for _ in range(2)]
    for p in procs:
        p.start()
    got = [results.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    errors = [e for _, _, errs in got for e in errs]
    assert errors == []
    nonces = [n for _, ns, _ in got for n in ns]
    total = 2 * (N_SINGLE + N_BATCH)
    assert sorted(nonces) == list(range(total))  # every transaction mined, no nonce handed out twice
    assert all(ns for _, ns, _ in got)  # both processes signed
    chain = Chain(Settings(rpc_url=settings.rpc_url, data_dir=tmp_path))
    try:
        assert _latest_nonce(chain, acct.address) == total
    finally:
        chain.close()


def test_reserved_but_never_sent_nonce_is_reused(chain, tmp_path):
    """A reservation whose transaction was never built (estimate/sign failed) leaves no gap."""
    acct = Account.create()
    first = _shared(chain, tmp_path)
    try:
        with first.hold([acct.address]) as reserve:
            assert reserve(acct.address) == 0
            raise RuntimeError("building the transaction failed")
    except RuntimeError:
        pass
    other = TxPipeline(chain.rpc, chain.chain_id, chain.errors, shared_nonces=_shared(chain, tmp_path))  # another process's pipeline
    outs = other.submit(_noop(acct, 3))
    assert [o.ok for o in outs] == [True, True, True], [str(o.error) for o in outs]
    assert [o.nonce for o in outs] == [0, 1, 2]
    assert other.shared_nonces.gaps_closed == 1
    assert _latest_nonce(chain, acct.address) == 3


def test_sender_killed_after_a_partial_send_does_not_stall_later_transactions(chain, tmp_path):
    """A process reserves nonces 0 and 1, sends only 1 (queued behind the missing 0) and dies
    holding the lock: the kernel releases the lock, the next holder finds the gap and fills it."""
    acct = Account.create()
    child = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from eth_account import Account
        from ledger.nonces import SharedNonces
        from ledger.rpc import Rpc
        from ledger.signing import sign_legacy
        acct = Account.from_key({acct.key.hex()!r})
        rpc = Rpc({chain.settings.rpc_url!r})
        shared = SharedNonces(rpc, Path({str(tmp_path / "nonces")!r}), {chain.chain_id})
        with shared.hold([acct.address]) as reserve:
            n0, n1 = reserve(acct.address), reserve(acct.address)
            _, raw = sign_legacy(acct, nonce=n1, gas_price=0, gas=21000, to=acct.address, value=0, data=b"", chain_id={chain.chain_id})
            rpc.call("eth_sendRawTransaction", ["0x" + raw.hex()])
            os._exit(3)  # dies holding the lock, nonce n0 never sent
    """)
    proc = subprocess.run([sys.executable, "-c", child], env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, timeout=60)
    assert proc.returncode == 3, proc.stderr.decode()
    assert int(chain.rpc.call("eth_getTransactionCount", [acct.address, "pending"]), 16) == 0  # 1 waits behind the gap
    pipe = TxPipeline(chain.rpc, chain.chain_id, chain.errors, shared_nonces=_shared(chain, tmp_path))
    out = pipe.submit(_noop(acct))[0]
    assert out.ok, out.error
    assert out.nonce == 0 and pipe.shared_nonces.gaps_closed == 1
    assert _latest_nonce(chain, acct.address) == 2  # the dead process's nonce 1 was mined behind it
    assert pipe.submit(_noop(acct))[0].nonce == 2


def test_rejected_transaction_with_shared_nonces_is_filled_and_later_ones_land(chain, actors, tmp_path):
    credit = chain.contract("Credit")
    lib = actors.library
    before = credit.call("balanceOf", lib.address)
    pipe = TxPipeline(chain.rpc, chain.chain_id, chain.errors, shared_nonces=_shared(chain, tmp_path), nudge_after=0.25)
    calls = [credit.tx("mint", lib.address, 1, sender=actors.platform) for _ in range(4)]
    calls[1].gas = 1_000  # below intrinsic gas: the node refuses it at submission, a no-op takes its nonce
    outs = pipe.submit(calls)
    assert [o.ok for o in outs] == [True, False, True, True]
    assert credit.call("balanceOf", lib.address) == before + 3
    assert pipe.submit([credit.tx("mint", lib.address, 1, sender=actors.platform)])[0].ok
    assert pipe.shared_nonces.gaps_closed == 0


def test_shared_nonces_setting_gives_the_chain_a_shared_pipeline(settings, tmp_path):
    chain = Chain(Settings(rpc_url=settings.rpc_url, data_dir=tmp_path, shared_nonces=True))
    try:
        assert isinstance(chain.pipeline.shared_nonces, SharedNonces)
        assert chain.pipeline.shared_nonces.directory == tmp_path.resolve() / "nonces"
    finally:
        chain.close()
    plain = Chain(Settings(rpc_url=settings.rpc_url, data_dir=tmp_path))
    try:
        assert plain.pipeline.shared_nonces is None
    finally:
        plain.close()
