"""The fast signer makes exactly the bytes eth-account makes."""

from __future__ import annotations

from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.signing import sign_legacy

ACCOUNT = Account.create()


@settings(max_examples=200, deadline=None)
@given(
    nonce=st.integers(0, 2**64 - 1),
    gas_price=st.integers(0, 10**12),
    gas=st.integers(21_000, 30_000_000),
    to=st.one_of(st.none(), st.binary(min_size=20, max_size=20)),
    value=st.integers(0, 10**24),
    data=st.binary(max_size=300),
    chain_id=st.integers(1, 2**32),
)
def test_identical_to_eth_account(nonce, gas_price, gas, to, value, data, chain_id):
    to_hex = None if to is None else "0x" + to.hex()
    tx = {"nonce": nonce, "gasPrice": gas_price, "gas": gas, "value": value, "data": data, "chainId": chain_id}
    if to_hex is not None:
        from eth_utils import to_checksum_address

        tx["to"] = to_checksum_address(to_hex)
    ref = ACCOUNT.sign_transaction(tx)
    tx_hash, raw = sign_legacy(
        ACCOUNT, nonce=nonce, gas_price=gas_price, gas=gas, to=to_hex, value=value, data=data, chain_id=chain_id
    )
    assert raw == bytes(ref.raw_transaction)
    assert tx_hash == "0x" + bytes(ref.hash).hex()
    assert Account.recover_transaction(raw) == ACCOUNT.address
