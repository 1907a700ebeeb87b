"""Royalty statements as documents: canonical JSON signed by the platform (Ed25519, PyNaCl),
verifiable offline, and exported as CSV and a PDF a publisher would accept.

A signed statement file is ``{"statement": {...}, "signature": {"alg": "Ed25519",
"public_key": hex, "value": hex}}``; the signature covers the canonical JSON bytes of
``statement`` (sorted keys, no insignificant whitespace, UTF-8).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from .payouts import PayeeStatement, PeriodStatements

FORMAT = "libledger.royalty-statement/v1"
CURRENCY = "CNY"


class StatementInvalid(ValueError):
    """A statement file that is malformed, altered, or signed by an untrusted key."""


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, compact separators, UTF-8, integers only for money."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat().replace("+00:00", "Z")


def payee_document(stmts: PeriodStatements, payee: PayeeStatement, *, chain: dict[str, Any]) -> dict[str, Any]:
    """The statement of one payee for the period (amounts in fen, times ISO 8601 UTC)."""
    start, end = stmts.period.iso_bounds()
    return {
        "format": FORMAT,
        "kind": "payee",
        "period": stmts.period.label,
        "time_zone": stmts.period.tz,
        "period_start": start,
        "period_end": end,
        "payee": payee.payee,
        "currency": CURRENCY,
        "chain": chain,
        "lines": [
            {
                "work_id": ln.work_id,
                "terms_id": ln.terms_id,
                "ref_kind": ln.ref_kind,
                "ref_id": ln.ref_id,
                "kind": ln.kind,
                "gross": ln.gross,
                "fee": ln.fee,
                "net": ln.net,
                "block_number": ln.block_number,
                "time": _iso(ln.block_timestamp),
                "tx_hash": ln.tx_hash,
                "log_index": ln.log_index,
            }
            for ln in payee.lines
        ],
        "totals": {"net": payee.net_total, "by_work": {str(k): v for k, v in payee.by_work().items()}},
    }


def platform_document(stmts: PeriodStatements, *, chain: dict[str, Any]) -> dict[str, Any]:
    """The period's summary: platform fee, totals, net per payee."""
    start, end = stmts.period.iso_bounds()
    return {
        "format": FORMAT,
        "kind": "platform",
        "period": stmts.period.label,
        "time_zone": stmts.period.tz,
        "period_start": start,
        "period_end": end,
        "currency": CURRENCY,
        "chain": chain,
        "totals": {
            "payments": stmts.payments,
            "gross": stmts.gross_total,
            "platform_fee": stmts.platform_fee,
            "net_to_payees": stmts.net_total,
            "escrow_in": stmts.escrow_in,
            "escrow_out": stmts.escrow_out,
        },
        "payees": {p: s.net_total for p, s in stmts.payees.items()},
    }


def sign(document: dict[str, Any], key: SigningKey) -> dict[str, Any]:
    """Wrap ``document`` with the platform's Ed25519 signature over its canonical bytes."""
    sig = key.sign(canonical(document)).signature
    return {
        "statement": document,
        "signature": {"alg": "Ed25519", "public_key": key.verify_key.encode().hex(), "value": sig.hex()},
    }


def verify(signed: bytes | str | dict[str, Any], trusted_keys: set[str] | None = None) -> dict[str, Any]:
    """Check a signed statement offline; returns the statement or raises ``StatementInvalid``.

    ``trusted_keys`` are hex Ed25519 public keys; when given, the signer must be one of them.
    """
    try:
        obj = signed if isinstance(signed, dict) else json.loads(signed)
        doc, sig = obj["statement"], obj["signature"]
        if sig.get("alg") != "Ed25519":
            raise StatementInvalid(f"unsupported signature algorithm {sig.get('alg')!r}")
        pub = sig["public_key"]
        VerifyKey(bytes.fromhex(pub)).verify(canonical(doc), bytes.fromhex(sig["value"]))
    except StatementInvalid:
        raise
    except BadSignatureError:
        raise StatementInvalid("signature does not match the statement: it was altered after signing") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise StatementInvalid(f"not a signed libledger statement: {exc}") from None
    if trusted_keys is not None and pub not in trusted_keys:
        raise StatementInvalid(f"signed by an unknown key {pub[:16]}…")
    if doc.get("format") != FORMAT:
        raise StatementInvalid(f"unknown statement format {doc.get('format')!r}")
    return doc


def to_csv(document: dict[str, Any]) -> str:
    """A payee statement's lines as CSV (amounts in fen)."""
    buf = io.StringIO()
    cols = ["period", "payee", "work_id", "terms_id", "ref_kind", "ref_id", "kind", "gross", "fee", "net", "currency", "block_number", "time", "tx_hash", "log_index"]
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for ln in document.get("lines", []):
        w.writerow({"period": document["period"], "payee": document.get("payee", ""), "currency": document["currency"], **ln})
    return buf.getvalue()


def yuan(fen: int) -> str:
    """Integer fen as ``¥1,234.56``."""
    sign_ = "-" if fen < 0 else ""
    return f"{sign_}¥{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def to_pdf(signed: dict[str, Any], *, payee_name: str = "") -> bytes:
    """A printable PDF of a signed payee statement: title, period, table, totals, signature block."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))  # Chinese without shipping font files
    doc = signed["statement"]
    sig = signed["signature"]
    h = ParagraphStyle("h", fontName="STSong-Light", fontSize=16, leading=22)
    p = ParagraphStyle("p", fontName="STSong-Light", fontSize=9, leading=13)
    buf = io.BytesIO()
    story: list[Any] = [
        Paragraph("版税结算单 Royalty statement", h),
        Paragraph(f"结算期 Period: {doc['period']} ({doc['time_zone']}) · {doc['period_start']} – {doc['period_end']}", p),
        Paragraph(f"收款方 Payee: {payee_name} {doc.get('payee', '')}", p),
        Spacer(1, 8),
    ]
    rows = [["作品 Work", "许可/借阅 Ref", "总额 Gross", "平台费 Fee 30%", "应得 Net", "区块 Block"]]
    for ln in doc.get("lines", []):
        rows.append([str(ln["work_id"]), f"{ln['ref_kind']} #{ln['ref_id']}", yuan(ln["gross"]), yuan(ln["fee"]), yuan(ln["net"]), str(ln["block_number"])])
    rows.append(["合计 Total", "", "", "", yuan(doc["totals"]["net"]), ""])
    table = Table(rows, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("ALIGN", (2, 1), (4, -1), "RIGHT"),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 12),
        Paragraph("签名 Signature (Ed25519, platform):", p),
        Paragraph(f"public key {sig['public_key']}", p),
        Paragraph(f"signature {sig['value'][:64]}<br/>{sig['value'][64:]}", p),
        Paragraph("Verify offline: libledger statement verify FILE.json", p),
    ]
    SimpleDocTemplate(buf, pagesize=A4, title=f"Royalty statement {doc['period']}").build(story)
    return buf.getvalue()
