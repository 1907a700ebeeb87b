"""`libledger payouts`, `statement verify`, `audit export|verify` end to end: real anvil, a real
indexed SQLite mirror, the platform's real key file."""

from __future__ import annotations

import json

from ledger.delivery import stamp_key_path
from rights.periods import period_of
from tests.flows import acquire, offer_terms, register_work, travel
from tests.ledger.test_rights_cli import installation, run  # noqa: F401  (fixture)


def test_payouts_statements_verify_and_audit_bundle(chain, actors, installation, tmp_path):  # noqa: F811
    s, env = installation
    run(["keys", "x25519", "--member", "LIBLEDGER-PLATFORM"], env)
    pub0, pub1 = actors.publishers
    work_id = register_work(chain, pub0, [pub0.address, pub1.address], [7000, 3000])
    terms = offer_terms(chain, pub0, work_id, price=10_000)
    acquire(chain, actors.library, work_id, terms, copies=3)
    ts = int(chain.rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    period = period_of(ts)
    travel(chain, period.end - ts + 60)
    run(["index", "--once"], env)

    out_dir = tmp_path / "statements"
    out = run(["payouts", "--period", period.label, "--out", str(out_dir)], env).stdout
    assert pub0.address in out and "¥147.00" in out and "¥63.00" in out and "platform fee ¥90.00" in out
    stmt = out_dir / f"{period.label}-{pub0.address}.json"
    assert {p.suffix for p in out_dir.iterdir()} == {".json", ".csv", ".pdf"}
    key = stamp_key_path(s).read_text().strip()
    assert "valid" in run(["statement", "verify", str(stmt), "--key", key], env).stdout

    doc = json.loads(stmt.read_text())
    doc["statement"]["totals"]["net"] += 1
    stmt.write_text(json.dumps(doc))
    bad = run(["statement", "verify", str(stmt), "--key", key], env, check=False)
    assert bad.returncode == 1 and "altered" in bad.stderr and "Traceback" not in bad.stderr

    bundle = tmp_path / "work.json"
    run(["audit", "export", "--work", str(work_id), "-o", str(bundle)], env)
    assert "all" in run(["audit", "verify", str(bundle), "--rpc", s.rpc_url], env).stdout
    data = json.loads(bundle.read_text())
    last = data["events"][0]["data"][-2:]
    data["events"][0]["data"] = data["events"][0]["data"][:-2] + ("01" if last == "00" else "00")
    bundle.write_text(json.dumps(data))
    bad = run(["audit", "verify", str(bundle), "--rpc", s.rpc_url], env, check=False)
    assert bad.returncode == 1 and "problem" in bad.stderr

    bad = run(["payouts", "--period", "2026-13"], env, check=False)
    assert bad.returncode == 1 and "not a valid month" in bad.stderr
    bad = run(["audit", "export", "-o", str(bundle)], env, check=False)
    assert bad.returncode == 1 and "--work" in bad.stderr
