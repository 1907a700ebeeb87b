"""Transactions per second end to end (signed, submitted, receipt seen) on anvil:
the naive web3.py ``contract.functions.transfer(...).transact()`` loop vs libledger's pipeline,
same contract call (Credit.transfer), same node, same run.

Target (issue 2): the pipeline sustains >= 1,000 tx/s and >= 10x the naive loop.
"""

from __future__ import annotations

import argparse

from _stack import emit, rate, stack, timed

from ledger import roles
from ledger.chain import web3_for


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--naive", type=int, default=300, help="transactions in the naive loop")
    ap.add_argument("--pipeline", type=int, default=5000, help="transactions through the pipeline")
    args = ap.parse_args()

    with stack(n_libraries=2) as s:
        credit = s.chain.contract("Credit")
        consortium = s.chain.contract("Consortium")
        sender, receiver = s.libraries

        # naive: anvil's unlocked dev account, admitted as a library, web3 transact() one by one
        w3 = web3_for(s.settings)
        dev = w3.eth.accounts[0]
        consortium.transact("admit", dev, "CN-NAIVE", "naive loop library", [roles.LIBRARY], sender=s.governor)
        credit.transact("mint", dev, 10**9, sender=s.platform)
        token = w3.eth.contract(address=credit.address, abi=credit.abi.abi)

        def naive() -> None:
            for _ in range(args.naive):
                h = token.functions.transfer(receiver.address, 1).transact({"from": dev, "gasPrice": 0})
                w3.eth.wait_for_transaction_receipt(h)

        _, t_naive = timed(naive)
        naive_tps = rate(args.naive, t_naive)

        calls = [credit.tx("transfer", receiver.address, 1, sender=sender, gas=80_000) for _ in range(args.pipeline)]
        outs, t_pipe = timed(s.chain.pipeline.submit, calls)
        failed = sum(not o.ok for o in outs)
        pipe_tps = rate(args.pipeline, t_pipe)
        emit(
            "tx_throughput",
            value=pipe_tps,
            unit="tx/s",
            baseline=naive_tps,
            baseline_name="web3.py transact() loop",
            speedup=round(pipe_tps / naive_tps, 1),
            n=args.pipeline,
            n_baseline=args.naive,
            failed=failed,
            target=">=1000 tx/s and >=10x baseline",
        )


if __name__ == "__main__":
    main()
