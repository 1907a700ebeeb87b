"""Whole-history log lookups on a node that caps eth_getLogs ranges, as Besu does.

Anvil caps nothing, so the test puts a small forwarding proxy in front of the real anvil that
answers a range wider than ``MAX_RANGE`` blocks with Besu's own error object (Besu:
``--rpc-max-logs-range``, 5,000 blocks by default) and forwards everything else unchanged.
"""

from __future__ import annotations

import pytest

from ledger.chain import Chain
from ledger.logs import get_logs
from ledger.rpc import Rpc, RpcError
from ledger.verification import find_logs
from tests.flows import register_work
from tests.getlogs_proxy import GetLogsProxy

MAX_RANGE = 3


@pytest.fixture
def capped(chain, settings):
    proxy = GetLogsProxy(settings.rpc_url, MAX_RANGE)
    capped_chain = Chain(settings.model_copy(update={"rpc_url": proxy.url}), chain.manifest)
    yield proxy, capped_chain
    capped_chain.close()
    proxy.close()


def test_find_logs_splits_ranges_the_node_refuses(chain, actors, capped):
    proxy, capped_chain = capped
    ids = [register_work(chain, actors.publisher) for _ in range(4)]
    for _ in range(2 * MAX_RANGE):  # blocks without events between and after the registrations
        chain.rpc.call("evm_mine")
    direct = find_logs(chain, "Works", "WorkRegistered")
    through_cap = find_logs(capped_chain, "Works", "WorkRegistered")
    assert [lg.args["workId"] for lg in through_cap] == [lg.args["workId"] for lg in direct]
    assert set(ids) <= {lg.args["workId"] for lg in through_cap}
    assert proxy.refused >= 1  # the first, whole-history call was refused ...
    assert all(hi - lo + 1 <= MAX_RANGE for lo, hi in proxy.forwarded)  # ... and every forwarded one fits
    covered = sorted(proxy.forwarded)
    assert covered[0][0] == chain.manifest.contracts["Works"].block
    assert all(b[0] == a[1] + 1 for a, b in zip(covered, covered[1:]))  # no gap, no overlap
    assert covered[-1][1] == chain.block_number()


def test_a_node_refusing_even_one_block_gets_its_error_raised(chain, settings):
    proxy = GetLogsProxy(settings.rpc_url, 0)  # refuses every range
    try:
        with Rpc(proxy.url) as rpc, pytest.raises(RpcError, match="range limit"):
            get_logs(rpc, {"address": chain.contract("Works").address}, 0, chain.block_number())
        assert proxy.refused > 1 and proxy.forwarded == []  # it halved down to one block before giving up
    finally:
        proxy.close()


def test_errors_other_than_a_range_refusal_are_not_retried(chain):
    with pytest.raises(RpcError):
        # a malformed address is an error of the request, not of its size: raised at once
        get_logs(chain.rpc, {"address": "0x1234"}, 0, chain.block_number())
