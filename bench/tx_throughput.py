"""Transactions per second end to end (signed, submitted, every receipt seen with status 1) on
anvil: the naive web3.py ``contract.functions.transfer(...).transact()`` loop vs libledger's
pipeline, same contract call (Credit.transfer), same node, same run — once per node mode:

- ``automine``: anvil's default, a block as soon as transactions arrive (few per block);
- ``interval``: ``--block-time`` blocks on a period carrying many transactions each, as a Besu
  QBFT network makes them. The naive loop waits a block per transaction there, so it runs for a
  fixed time (``--naive-seconds``) and its rate is what it completed in that time.

Target (issue 2): the pipeline sustains >= 1,000 tx/s and >= 10x the naive loop.
"""

from __future__ import annotations

import argparse
import time

from _stack import cpu_split, emit, rate, stack, timed

from ledger import roles
from ledger.chain import web3_for


def measure(mode: str, block_time: float | None, args: argparse.Namespace) -> None:
    with stack(n_libraries=2, block_time=block_time) as s:
        credit = s.chain.contract("Credit")
        consortium = s.chain.contract("Consortium")
        sender, receiver = s.libraries

        # naive: anvil's unlocked dev account, admitted as a library, web3 transact() one by one
        w3 = web3_for(s.settings)
        dev = w3.eth.accounts[0]
        consortium.transact("admit", dev, "CN-NAIVE", "naive loop library", [roles.LIBRARY], sender=s.governor)
        credit.transact("mint", dev, 10**9, sender=s.platform)
        token = w3.eth.contract(address=credit.address, abi=credit.abi.abi)

        limit_n = args.naive if block_time is None else 10**9
        limit_t = float("inf") if block_time is None else args.naive_seconds

        def naive() -> int:
            done, t0 = 0, time.perf_counter()
            while done < limit_n and time.perf_counter() - t0 < limit_t:
                h = token.functions.transfer(receiver.address, 1).transact({"from": dev, "gasPrice": 0})
                assert w3.eth.wait_for_transaction_receipt(h)["status"] == 1
                done += 1
            return done

        n_naive, t_naive = timed(naive)
        naive_tps = rate(n_naive, t_naive)

        if args.max_in_flight:
            s.chain.pipeline.max_in_flight = args.max_in_flight
        calls = [credit.tx("transfer", receiver.address, 1, sender=sender, gas=80_000) for _ in range(args.pipeline)]
        nudges = s.chain.pipeline.nudges
        with cpu_split(s.proc) as cpu:
            outs, t_pipe = timed(s.chain.pipeline.submit, calls)
        failed = sum(not o.ok for o in outs)  # ok: receipt seen, status 0x1
        per_block: dict[int, int] = {}
        for o in outs:
            if o.block_number is not None:
                per_block[o.block_number] = per_block.get(o.block_number, 0) + 1
        pipe_tps = rate(args.pipeline, t_pipe)
        emit(
            "tx_throughput",
            node_mode=s.node_mode,
            value=pipe_tps,
            unit="tx/s",
            baseline=naive_tps,
            baseline_name="web3.py transact() loop" + ("" if block_time is None else f", run for {args.naive_seconds:g} s"),
            speedup=round(pipe_tps / naive_tps, 1),
            n=args.pipeline,
            n_baseline=n_naive,
            failed=failed,
            blocks=len(per_block),
            max_tx_per_block=max(per_block.values(), default=0),
            evm_mine_nudges=s.chain.pipeline.nudges - nudges,
            max_in_flight=s.chain.pipeline.max_in_flight,
            seconds=round(t_pipe, 2),
            **cpu,
            target=">=1000 tx/s and >=10x baseline",
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--naive", type=int, default=300, help="transactions in the naive loop (automine)")
    ap.add_argument("--naive-seconds", type=float, default=5.0, help="how long the naive loop runs (interval mining)")
    ap.add_argument("--pipeline", type=int, default=5000, help="transactions through the pipeline")
    ap.add_argument("--modes", default="automine,interval", help="node modes to measure, comma-separated")
    ap.add_argument("--block-time", type=float, default=1.0, help="seconds per block in interval mode")
    ap.add_argument("--max-in-flight", type=int, default=None, help="the pipeline's cap on unconfirmed transactions")
    args = ap.parse_args()
    for mode in args.modes.split(","):
        measure(mode, None if mode == "automine" else args.block_time, args)


if __name__ == "__main__":
    main()
