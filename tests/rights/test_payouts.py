"""Statements from payment records: per payee, per work, identities hold to the fen; signed
documents verify offline and any alteration is caught."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey
from pypdf import PdfReader

from rights.payouts import PaymentRecord, build_statements
from rights.periods import parse_period
from rights.statement import StatementInvalid, payee_document, platform_document, sign, to_csv, to_pdf, verify, yuan

OCT = parse_period("2026-10")
PAYEES = ["0x" + c * 40 for c in "abcdef"]


def split(gross: int, bps: list[int], fee_bps: int = 3000) -> tuple[int, list[int]]:
    """Independent re-statement of the rule (not rights.split): floor fee, floor shares, remainder first."""
    fee = gross * fee_bps // 10_000
    holders = gross - fee
    nets = [holders * b // 10_000 for b in bps]
    nets[0] += holders - sum(nets)
    return fee, nets


def record(i: int, ts: int, gross: int, payees: list[str], bps: list[int], kind: str = "paid") -> PaymentRecord:
    fee, nets = split(gross, bps)
    held = gross - fee if kind == "escrowed" else 0
    return PaymentRecord(
        kind=kind,
        work_id=1 + i % 3,
        terms_id=1,
        ref_kind="licence",
        ref_id=i,
        payer="0x" + "9" * 40,
        gross=gross,
        fee=fee,
        fee_recipient="0x" + "8" * 40,
        nets=() if kind == "escrowed" else tuple(zip(payees, nets)),
        held=held,
        block_number=100 + i,
        block_timestamp=ts,
        tx_hash="0x%064x" % i,
        log_index=0,
    )


def test_statement_for_a_seeded_period():
    recs = [
        record(0, OCT.start, 10_000, PAYEES[:2], [6000, 4000]),  # fee 3000, nets 4200/2800
        record(1, OCT.end - 1, 333, PAYEES[:2], [5000, 5000]),  # fee 99, holders 234 -> 117/117
        record(2, OCT.end, 99_999, PAYEES[:1], [10_000]),  # November: excluded
        record(3, OCT.start + 5, 1_001, PAYEES[1:3], [3333, 6667]),  # fee 300, holders 701 -> 233+1, 467
    ]
    s = build_statements(recs, OCT)
    assert s.payments == 3
    assert s.platform_fee == 3000 + 99 + 300
    assert s.gross_total == 10_000 + 333 + 1_001
    assert s.payees[PAYEES[0]].net_total == 4200 + 117
    assert s.payees[PAYEES[1]].net_total == 2800 + 117 + 234
    assert s.payees[PAYEES[2]].net_total == 467
    assert s.check() == []


def test_escrow_and_release_identities():
    recs = [record(0, OCT.start, 1000, PAYEES[:1], [10_000], kind="escrowed")]
    rel = PaymentRecord("released", 1, 0, "none", 0, "", 0, 0, "", ((PAYEES[1], 700),), 0, 200, OCT.start + 10, "0x01", 0)
    s = build_statements([*recs, rel], OCT)
    assert s.escrow_in == 700 and s.escrow_out == 700
    assert s.payees[PAYEES[1]].net_total == 700
    assert s.check() == []


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(4, 10**12),
            st.integers(1, 6),
            st.integers(OCT.start - 86_400, OCT.end + 86_400),
            st.randoms(use_true_random=False),
        ),
        max_size=40,
    )
)
def test_identities_hold_for_any_payments(payments):
    recs = []
    for i, (gross, n, ts, rnd) in enumerate(payments):
        cuts = sorted(rnd.sample(range(1, 10_000), n - 1)) if n > 1 else []
        bps = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000])]
        recs.append(record(i, ts, gross, PAYEES[:n], bps))
    s = build_statements(recs, OCT)
    assert s.check() == []
    inside = [r for r in recs if OCT.contains(r.block_timestamp)]
    assert s.gross_total == sum(r.gross for r in inside)
    assert s.platform_fee + s.net_total == s.gross_total


def test_tampered_statement_line_is_caught():
    s = build_statements([record(0, OCT.start, 10_000, PAYEES[:2], [6000, 4000])], OCT)
    s.payees[PAYEES[0]].lines[0] = s.payees[PAYEES[0]].lines[0].__class__(**{**s.payees[PAYEES[0]].lines[0].__dict__, "net": 4201})
    assert s.check() and "gross" in s.check()[0]


@pytest.fixture
def signed_doc():
    key = SigningKey.generate()
    s = build_statements([record(0, OCT.start, 10_000, PAYEES[:2], [6000, 4000])], OCT)
    doc = payee_document(s, s.payees[PAYEES[0]], chain={"chain_id": 15311})
    return key, sign(doc, key)


def test_signed_statement_verifies_offline(signed_doc):
    key, signed = signed_doc
    text = json.dumps(signed, ensure_ascii=False, indent=2)
    doc = verify(text, {key.verify_key.encode().hex()})
    assert doc["totals"]["net"] == 4200 and doc["period"] == "2026-10"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["statement"]["lines"][0].__setitem__("net", 4300),
        lambda d: d["statement"]["totals"].__setitem__("net", 1),
        lambda d: d["statement"].__setitem__("payee", PAYEES[5]),
        lambda d: d["signature"].__setitem__("value", "00" * 64),
    ],
)
def test_any_alteration_fails(signed_doc, tamper):
    key, signed = signed_doc
    altered = json.loads(json.dumps(signed))
    tamper(altered)
    with pytest.raises(StatementInvalid):
        verify(altered, {key.verify_key.encode().hex()})


def test_untrusted_signer_and_garbage(signed_doc):
    _, signed = signed_doc
    with pytest.raises(StatementInvalid, match="unknown key"):
        verify(signed, {SigningKey.generate().verify_key.encode().hex()})
    with pytest.raises(StatementInvalid, match="not a signed libledger statement"):
        verify(b"{}")
    with pytest.raises(StatementInvalid):
        verify(b"not json")


def test_csv_and_pdf_exports(signed_doc, tmp_path):
    _, signed = signed_doc
    csv_text = to_csv(signed["statement"])
    assert csv_text.splitlines()[0].startswith("period,payee,work_id")
    assert ",4200,CNY," in csv_text.splitlines()[1]
    pdf = to_pdf(signed, payee_name="浙江出版社")
    (tmp_path / "s.pdf").write_bytes(pdf)
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "s.pdf").pages)
    assert "Royalty statement" in text and "2026-10" in text and yuan(4200) in text
    assert signed["signature"]["public_key"] in text


def test_platform_summary():
    s = build_statements([record(0, OCT.start, 10_000, PAYEES[:2], [6000, 4000])], OCT)
    d = platform_document(s, chain={})
    assert d["totals"] == {"payments": 1, "gross": 10_000, "platform_fee": 3000, "net_to_payees": 7000, "escrow_in": 0, "escrow_out": 0}
    assert yuan(123456) == "¥1,234.56" and yuan(-5) == "-¥0.05"
