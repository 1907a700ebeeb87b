"""Full ILL lifecycles per second on anvil through the pipeline: one transaction per action vs
Multicall batches (many requests' actions in one transaction), same node, same run.

A lifecycle: submitRequest, ExpectToSupply, WillSupply, Loaned, Received, ShippedReturn,
LoanCompleted — 4 supplier status changes and 3 requester actions. Target (issue 4): >= 5,000
status changes per second with batching.

Consecutive steps by the same party go out in one pipeline round (ETS, WS and Loaned are all the
supplier's: its nonce order already keeps them in order), so a lifecycle needs 4 rounds — each
waiting for its receipts — instead of 7. Both modes use the same rounds. ``--block-time`` runs
the node in interval mining (QBFT-like blocks) instead of automine.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter

from _stack import cpu_split, emit, rate, stack, timed

ETS, WS, LOANED, COMPLETED = 2, 3, 6, 12
RECEIVED, SHIPPED_RETURN = 0, 3
ZERO = "0x" + "00" * 20
ROUNDS = [[0], [1, 2, 3], [4, 5], [6]]  # steps sent together: one party each, in nonce order


def phases(ill, pairs, n_per_pair, now):
    """The seven steps of n lifecycles per (requester, supplier) pair, as lists of (sender, calldata)."""
    steps = [[] for _ in range(7)]
    for requester, supplier in pairs:
        for _ in range(n_per_pair):
            own = os.urandom(32)
            rid = ill.call("computeRequestId", requester.address, own)
            r = {"supplier": supplier.address, "service": 0, "itemKind": 1, "item": os.urandom(32), "maxCost": 1000,
                 "needBefore": now + 30 * 86400, "ownId": own, "retryOf": 0, "licenceId": 0}
            steps[0].append((requester, ill.encode("submitRequest", r)))
            steps[1].append((supplier, ill.encode("updateStatus", rid, ETS, 0, 0, 0, 0)))
            steps[2].append((supplier, ill.encode("updateStatus", rid, WS, 0, 0, 0, 0)))
            steps[3].append((supplier, ill.encode("updateStatus", rid, LOANED, 0, 0, now + 14 * 86400, 0)))
            steps[4].append((requester, ill.encode("act", rid, RECEIVED, ZERO)))
            steps[5].append((requester, ill.encode("act", rid, SHIPPED_RETURN, ZERO)))
            steps[6].append((supplier, ill.encode("updateStatus", rid, COMPLETED, 0, 0, 0, 0)))
    return steps


def step_calls(ill, step, batch: int) -> list:
    """One step's calls; with batch > 1, each sender's actions go in Multicall groups."""
    from ledger.pipeline import Call

    if batch <= 1:
        return [Call(sender=s, to=ill.address, data=d, gas=200_000) for s, d in step]
    calls = []
    by_sender: dict[str, list] = {}
    for s, d in step:
        by_sender.setdefault(s.address, [s, []])[1].append(d)
    for s, datas in by_sender.values():
        for i in range(0, len(datas), batch):
            group = datas[i : i + batch]
            calls.append(Call(sender=s, to=ill.address, data=ill.encode("multicall", group), gas=160_000 * len(group) + 100_000))
    return calls


def run(chain, ill, steps, batch: int) -> tuple[float, int, list]:
    """Send the steps round by round (``ROUNDS``), awaiting every receipt of a round before the next.

    Returns seconds, failed transactions and the outcomes (for ``event_counts``)."""
    total_failed = 0
    seconds = 0.0
    sent = []
    for rnd in ROUNDS:
        calls = [c for k in rnd for c in step_calls(ill, steps[k], batch)]
        outs, t = timed(chain.pipeline.submit, calls)
        seconds += t
        total_failed += sum(not o.ok for o in outs)
        sent += outs
    return seconds, total_failed, sent


def event_counts(ill, outcomes) -> Counter:
    """The contract's events by name in the receipts. Status 1 alone does not prove a status
    change: the contract records an overtaken message as ``StatusUpdateIgnored`` /
    ``ActionIgnored`` instead of reverting."""
    events: Counter = Counter()
    for o in outcomes:
        if o.receipt is not None:
            events.update(name for name, _ in ill.events(o.receipt))
    return events


def measure(args: argparse.Namespace, batches: list[int]) -> tuple[str, list[dict]]:
    """Run the lifecycles once per batch size, in order, on one fresh chain; per run: seconds,
    failures, node/client CPU, evm_mine nudges and the chain height it started from."""
    out = []
    with stack(n_libraries=4, block_time=args.block_time) as s:
        ill = s.chain.contract("InterlibraryLoan")
        libs = s.libraries
        pairs = [(libs[0], libs[1]), (libs[2], libs[3])]
        now = int(s.chain.rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        for batch in batches:
            steps = phases(ill, pairs, args.lifecycles // len(pairs), now)
            height, nudges = s.chain.block_number(), s.chain.pipeline.nudges
            with cpu_split(s.proc) as cpu:
                t, failed, sent = run(s.chain, ill, steps, batch=batch)
            events = event_counts(ill, sent)  # after the clock and the CPU split
            out.append({"seconds": t, "failed": failed, "cpu": cpu, "nudges": s.chain.pipeline.nudges - nudges,
                        "height": height, "events": events})
        return s.node_mode, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lifecycles", type=int, default=2000, help="lifecycles per mode (split over library pairs)")
    ap.add_argument("--batch", type=int, default=100, help="actions per Multicall transaction")
    ap.add_argument("--block-time", type=float, default=None, help="interval mining with blocks this many seconds apart")
    ap.add_argument("--same-chain", action="store_true",
                    help="run the batched mode right after the baseline on the same chain (anvil slows down as "
                         "its history grows, so by default each mode gets a fresh chain of the same kind)")
    args = ap.parse_args()
    if args.same_chain:
        node_mode, (single, batched) = measure(args, [1, args.batch])
    else:
        node_mode, (single,) = measure(args, [1])
        _, (batched,) = measure(args, [args.batch])
    lifecycles = (args.lifecycles // 2) * 2
    status_changes = 4 * lifecycles
    emit(
        "ill_throughput",
        node_mode=node_mode,
        value=rate(status_changes, batched["seconds"]),
        unit="status changes/s (Multicall)",
        baseline=rate(status_changes, single["seconds"]),
        baseline_name="one transaction per action, same pipeline",
        chains="one chain, baseline first" if args.same_chain else "a fresh chain per mode",
        start_height=batched["height"],
        lifecycles_per_s=rate(lifecycles, batched["seconds"]),
        lifecycles_per_s_single=rate(lifecycles, single["seconds"]),
        actions_per_s=rate(7 * lifecycles, batched["seconds"]),
        batch=args.batch,
        lifecycles=lifecycles,
        failed=single["failed"] + batched["failed"],
        status_changed_events=batched["events"]["StatusChanged"],
        ignored_events=sum(m["events"]["StatusUpdateIgnored"] + m["events"]["ActionIgnored"] for m in (single, batched)),
        seconds=round(batched["seconds"], 2),
        **batched["cpu"],
        evm_mine_nudges=batched["nudges"],
        target=">=5000 status changes/s with batching",
    )


if __name__ == "__main__":
    main()
