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
