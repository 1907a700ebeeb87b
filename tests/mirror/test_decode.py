"""The fast static-word decoder gives exactly what the ABI decoder (eth-abi) gives."""

from __future__ import annotations

from ledger.bindings import load_artifact
from ledger.mirror.decode import FastEvent, LogDecoder, to_json
from tests.mirror.conftest import activity


def test_fast_decoder_equals_eth_abi_on_real_logs(chain, actors, deployment):
    activity(chain, actors)
    credit = chain.contract("Credit")
    # the largest mint the supply cap (2^88 - 1 fen) leaves: far beyond 64 bits and a double's precision
    big = credit.call("MAX_SUPPLY") - credit.call("totalSupply")
    assert big > 2**87
    credit.transact("mint", actors.libraries[0].address, big, sender=actors.platform)
    decoder = LogDecoder(deployment)
    logs = chain.rpc.call("eth_getLogs", [{"fromBlock": hex(deployment.deploy_block), "toBlock": "latest", "address": decoder.addresses}])
    fast_used = 0
    for raw in logs:
        name, events = decoder.contracts[raw["address"].lower()]
        ev, fast = events[raw["topics"][0]]
        slow = to_json(ev.decode([bytes.fromhex(t[2:]) for t in raw["topics"]], bytes.fromhex(raw["data"][2:])))
        assert decoder.decode(raw).args == slow
        if fast is not None:
            assert fast.decode(raw["topics"], raw["data"]) == slow
            fast_used += 1
    assert fast_used > 0
    assert any(a == str(big) for a in (decoder.decode(r).args.get("value") for r in logs) if a is not None)


def test_dynamic_events_use_eth_abi():
    abi = load_artifact("Consortium").abi
    assert FastEvent.build(abi.events["MemberAdmitted"]) is None  # strings
    assert FastEvent.build(abi.events["RoleGranted"]) is not None
