"""Metered checkouts per second through the pipeline on anvil — each checkout pays the per-loan
price through the 70/30 split — one transaction per checkout vs Multicall batches, same run."""

from __future__ import annotations

import argparse
import hashlib
import os

from _stack import cpu_split, emit, rate, stack, timed

from ledger.pipeline import Call


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkouts", type=int, default=1000, help="checkouts per mode")
    ap.add_argument("--batch", type=int, default=25, help="checkouts per Multicall transaction")
    ap.add_argument("--block-time", type=float, default=None, help="interval mining with blocks this many seconds apart")
    args = ap.parse_args()
    with stack(n_libraries=2, n_publishers=2, block_time=args.block_time) as s:
        c = s.chain.contract
        pub0, pub1 = s.publishers
        lib = s.libraries[0]
        out = c("Works").transact("registerWork", hashlib.sha256(b"bench").digest(), os.urandom(10), "ipfs://bench",
                                  [pub0.address, pub1.address], [7000, 3000], sender=pub0)
        work_id = c("Works").events(out.receipt)[0][1]["workId"]
        # metered terms with many copies so checkouts never run out; one licence per mode
        t = {"kind": 1, "price": 250, "copies": 60_000, "loanPeriod": 86400, "maxLoansPerCopy": 0, "duration": 0,
             "territory": b"CN", "illAllowed": False, "legalTextHash": os.urandom(32), "legalTextURI": "ipfs://legal"}
        terms_id = c("Licensing").call("publishTerms", t, sender=pub0.address)
        c("Licensing").transact("publishTerms", t, sender=pub0)
        c("Licensing").transact("attachTerms", work_id, terms_id, sender=pub0)
        lending = c("Licensing")

        def licence() -> int:
            out = c("Licensing").transact("acquire", work_id, terms_id, 1, sender=lib)
            return next(a["licenceId"] for n, a in c("Licensing").events(out.receipt) if n == "LicenceAcquired")

        single_lic, batch_lic = licence(), licence()
        # metered checkouts are paid from the library's loan deposit: prepay both modes' loans
        c("Royalties").transact("deposit", 2 * args.checkouts * t["price"], sender=lib)
        single = [lending.tx("checkout", single_lic, os.urandom(32), sender=lib, gas=400_000) for _ in range(args.checkouts)]
        outs, t_single = timed(s.chain.pipeline.submit, single)
        failed = sum(not o.ok for o in outs)
        batched = []
        for i in range(0, args.checkouts, args.batch):
            n = min(args.batch, args.checkouts - i)
            data = [lending.encode("checkout", batch_lic, os.urandom(32)) for _ in range(n)]
            batched.append(Call(sender=lib, to=lending.address, data=lending.encode("multicall", data), gas=220_000 * n + 100_000))
        with cpu_split(s.proc) as cpu:
            outs, t_batch = timed(s.chain.pipeline.submit, batched)
        failed += sum(not o.ok for o in outs)
        emit(
            "royalty_throughput",
            node_mode=s.node_mode,
            value=rate(args.checkouts, t_batch),
            unit="metered checkouts/s (Multicall)",
            baseline=rate(args.checkouts, t_single),
            baseline_name="one transaction per checkout, same pipeline",
            batch=args.batch,
            checkouts=args.checkouts,
            failed=failed,
            seconds=round(t_batch, 2),
            **cpu,
            evm_mine_nudges=s.chain.pipeline.nudges,
        )


if __name__ == "__main__":
    main()
