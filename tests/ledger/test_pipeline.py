"""The transaction pipeline against a real anvil: order, reverts, rejected and dropped transactions."""

from __future__ import annotations

import pytest
from eth_account import Account

from ledger.errors import ContractRevert, TransactionRejected
from ledger.pipeline import Call


def test_submit_returns_outcomes_in_order_and_state_matches(chain, actors):
    credit = chain.contract("Credit")
    lib = actors.library
    before = credit.call("balanceOf", lib.address)
    calls = [credit.tx("mint", lib.address, i + 1, sender=actors.platform) for i in range(35)]
    outs = chain.pipeline.submit(calls)
    assert [o.call for o in outs] == calls
    assert all(o.ok for o in outs), [(o.nonce, str(o.error)) for o in outs if not o.ok]
    blocks = [o.block_number for o in outs]
    assert blocks == sorted(blocks)
    assert credit.call("balanceOf", lib.address) == before + sum(range(1, 36))


def test_revert_in_a_batch_is_decoded_and_others_still_land(chain, actors):
    credit = chain.contract("Credit")
    outsider = actors.outsider
    calls = [
        credit.tx("mint", actors.library.address, 5, sender=actors.platform),
        credit.tx("mint", outsider.address, 5, sender=actors.platform),  # non-member may not hold credit
        credit.tx("mint", actors.library.address, 7, sender=actors.platform),
    ]
    outs = chain.pipeline.submit(calls)
    assert outs[0].ok and outs[2].ok
    err = outs[1].error
    assert isinstance(err, ContractRevert)
    assert err.error_name == "CreditAccountNotAllowed"
    assert err.args_by_name == {"account": outsider.address}
    assert err.tx_hash == outs[1].tx_hash


def test_single_send_surfaces_revert_before_signing(chain, actors):
    credit = chain.contract("Credit")
    nonce_before = int(chain.rpc.call("eth_getTransactionCount", [actors.library.address, "latest"]), 16)
    from ledger.errors import Unauthorized

    with pytest.raises(Unauthorized) as exc:
        credit.transact("mint", actors.library.address, 1, sender=actors.library)
    assert exc.value.args_by_name["account"] == actors.library.address
    assert int(chain.rpc.call("eth_getTransactionCount", [actors.library.address, "latest"]), 16) == nonce_before


def test_rejected_transaction_gap_is_filled_and_later_nonces_land(chain, actors):
    credit = chain.contract("Credit")
    lib = actors.library
    before = credit.call("balanceOf", lib.address)
    calls = [credit.tx("mint", lib.address, 1, sender=actors.platform) for _ in range(4)]
    calls[1].gas = 1_000  # below intrinsic gas: the node refuses it at submission
    outs = chain.pipeline.submit(calls)
    assert isinstance(outs[1].error, TransactionRejected)
    assert "gas" in str(outs[1].error).lower()
    assert [o.ok for o in outs] == [True, False, True, True]
    assert credit.call("balanceOf", lib.address) == before + 3
    # the pipeline keeps working for the same account afterwards
    assert credit.transact("mint", lib.address, 1, sender=actors.platform).ok


def test_dropped_transaction_is_rebroadcast(chain, actors):
    credit = chain.contract("Credit")
    lib = actors.library
    before = credit.call("balanceOf", lib.address)
    chain.rpc.call("evm_setAutomine", [False])
    try:
        outs = chain.pipeline.submit([credit.tx("mint", lib.address, 9, sender=actors.platform)], wait=False)
        chain.rpc.call("anvil_dropTransaction", [outs[0].tx_hash])
        assert chain.rpc.call("eth_getTransactionByHash", [outs[0].tx_hash]) is None
    finally:
        chain.rpc.call("evm_setAutomine", [True])
    old_timeout = chain.pipeline.receipt_timeout
    chain.pipeline.receipt_timeout = 3.0
    try:
        chain.pipeline._await_receipts(outs)
    finally:
        chain.pipeline.receipt_timeout = old_timeout
    assert outs[0].ok, outs[0].error
    assert credit.call("balanceOf", lib.address) == before + 9


def test_many_senders_interleaved(chain, actors):
    credit = chain.contract("Credit")
    libs = actors.libraries
    calls = [credit.tx("transfer", libs[(i + 1) % 3].address, 1, sender=libs[i % 3]) for i in range(30)]
    outs = chain.pipeline.submit(calls)
    assert all(o.ok for o in outs), [o.error for o in outs if not o.ok]


def test_unknown_sender_nonce_is_seeded_from_node(chain, actors):
    fresh = Account.create()
    out = chain.pipeline.submit([Call(sender=fresh, to=fresh.address, data=b"", gas=21_000)])[0]
    assert out.ok and out.nonce == 0


# ---------------------------------------------------------------- block-driven receipt watcher
# Blocks carrying many transactions (as on QBFT) are made with automine off and one `evm_mine`,
# so the tests decide what lands in which block instead of depending on timing.


def _mined_together(chain, calls):
    """Send ``calls`` without waiting and mine them into one block; receipts not awaited."""
    chain.rpc.call("evm_setAutomine", [False])
    try:
        outs = chain.pipeline.submit(calls, wait=False)
        chain.rpc.call("evm_mine")
    finally:
        chain.rpc.call("evm_setAutomine", [True])
    return outs


def _one_block(chain, calls):
    """Send ``calls`` without waiting, mine them into one block, then await their receipts."""
    outs = _mined_together(chain, calls)
    chain.pipeline._await_receipts(outs)
    return outs


def test_watcher_reads_a_block_of_many_transactions_in_submission_order(chain, actors):
    credit = chain.contract("Credit")
    libs = actors.libraries
    calls = [credit.tx("transfer", libs[(i + 1) % 3].address, i + 1, sender=libs[i % 3], gas=80_000) for i in range(60)]
    outs = _one_block(chain, calls)
    assert [o.call for o in outs] == calls
    assert all(o.ok for o in outs), [str(o.error) for o in outs if not o.ok]
    assert len({o.block_number for o in outs}) == 1
    # each outcome carries its own receipt: the Transfer amount in the log is the call's
    amounts = [credit.events(o.receipt)[0][1]["value"] for o in outs]
    assert amounts == [i + 1 for i in range(60)]
    assert [o.receipt["transactionHash"] for o in outs] == [o.tx_hash for o in outs]


def test_watcher_spans_blocks_and_keeps_order(chain, actors):
    credit = chain.contract("Credit")
    lib = actors.library
    chain.rpc.call("evm_setAutomine", [False])
    try:
        first = chain.pipeline.submit([credit.tx("mint", lib.address, 1, sender=actors.platform) for _ in range(5)], wait=False)
        chain.rpc.call("evm_mine")
        second = chain.pipeline.submit([credit.tx("mint", lib.address, 2, sender=actors.platform) for _ in range(5)], wait=False)
        chain.rpc.call("evm_mine")
    finally:
        chain.rpc.call("evm_setAutomine", [True])
    outs = second + first  # awaited out of mining order: results stay with their calls
    chain.pipeline._await_receipts(outs)
    assert all(o.ok for o in outs)
    assert {o.block_number for o in first} == {first[0].block_number}
    assert {o.block_number for o in second} == {first[0].block_number + 1}
    assert [o.nonce for o in first + second] == list(range(first[0].nonce, first[0].nonce + 10))


def test_watcher_decodes_a_revert_inside_a_shared_block(chain, actors):
    credit = chain.contract("Credit")
    calls = [credit.tx("mint", actors.library.address, 3, sender=actors.platform, gas=200_000) for _ in range(6)]
    calls[2] = credit.tx("mint", actors.outsider.address, 3, sender=actors.platform, gas=200_000)
    outs = _one_block(chain, calls)
    assert [o.ok for o in outs] == [True, True, False, True, True, True]
    assert outs[2].receipt is not None and outs[2].receipt["status"] == "0x0"
    assert isinstance(outs[2].error, ContractRevert)
    assert outs[2].error.error_name == "CreditAccountNotAllowed"


def test_watcher_reports_a_replaced_transaction(chain, actors):
    credit = chain.contract("Credit")
    lib = actors.library
    before = credit.call("balanceOf", lib.address)
    chain.rpc.call("evm_setAutomine", [False])
    try:
        [original] = chain.pipeline.submit([credit.tx("mint", lib.address, 5, sender=actors.platform)], wait=False)
        chain.rpc.call("anvil_dropTransaction", [original.tx_hash])
        # another transaction takes the same nonce (e.g. sent by a second process with the same key)
        _, raw = chain.pipeline._sign(credit.tx("mint", lib.address, 11, sender=actors.platform), original.nonce)
        chain.rpc.call("eth_sendRawTransaction", ["0x" + raw.hex()])
        chain.rpc.call("evm_mine")
    finally:
        chain.rpc.call("evm_setAutomine", [True])
    chain.pipeline._await_receipts([original])
    assert isinstance(original.error, TransactionRejected)
    assert "replaced" in str(original.error)
    assert original.receipt is None
    assert credit.call("balanceOf", lib.address) == before + 11


def test_watcher_without_block_receipts_reads_blocks_and_receipts(chain, actors):
    """Nodes lacking eth_getBlockReceipts: the watcher reads block bodies, then the watched receipts."""
    from ledger.receipts import ReceiptWatcher

    credit = chain.contract("Credit")
    calls = [credit.tx("mint", actors.library.address, i + 1, sender=actors.platform) for i in range(8)]
    outs = _mined_together(chain, calls)
    watcher = ReceiptWatcher(chain.rpc, outs[0].sent_after_block, sender_of=lambda o: o.call.sender.address, on_replaced=print)
    watcher._block_receipts = False
    for o in outs:
        watcher.watch(o)
    assert watcher.poll() == 8
    assert watcher.pending == 0
    assert [o.receipt["transactionHash"] for o in outs] == [o.tx_hash for o in outs]


def test_in_flight_cap_sends_in_waves_and_keeps_order(chain, actors):
    credit = chain.contract("Credit")
    lib = actors.library
    before = credit.call("balanceOf", lib.address)
    old = chain.pipeline.max_in_flight
    chain.pipeline.max_in_flight = 4
    try:
        calls = [credit.tx("mint", lib.address, i + 1, sender=actors.platform) for i in range(25)]
        outs = chain.pipeline.submit(calls)
    finally:
        chain.pipeline.max_in_flight = old
    assert [o.call for o in outs] == calls
    assert all(o.ok for o in outs), [str(o.error) for o in outs if not o.ok]
    assert [o.nonce for o in outs] == list(range(outs[0].nonce, outs[0].nonce + 25))
    assert credit.call("balanceOf", lib.address) == before + sum(range(1, 26))
