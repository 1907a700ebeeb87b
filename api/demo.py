"""``libledger demo``: a realistic consortium on the running chain, and ``quickstart_serve`` for `make run`.

Seeds 浙江图书馆 (CN-330000-ZJL) with four city/county libraries, three publishers, an auditor,
the platform and a sponsor; works with terms, licences, digital loans, ILL requests in every
ISO 18626 status, one closed (and settled) period and royalty balances, and the platform's
X25519 key file (passphrase: ``LIBLEDGER_KEY_PASSPHRASE``, on dev chains the keystore password). Keys go to the keystore
(dev profile creates them), one API token per member to ``data_dir/demo-tokens.json`` (0600).
Dev chains only: the Overdue example moves the chain's clock forward.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from rich.console import Console

from ledger import accounts
from ledger.config import ChainProfile
from rights.atomic import write_json_atomic

from .config import ApiSettings, api_settings, platform_key_passphrase
from .deps import Actor

LIBRARIES = [
    ("CN-330000-ZJL", "浙江图书馆"),
    ("CN-330100-HZL", "杭州图书馆"),
    ("CN-330200-NBL", "宁波市图书馆"),
    ("CN-330300-WZL", "温州市图书馆"),
    ("CN-330381-RAL", "瑞安市图书馆"),
]
PUBLISHERS = [("PUB-ZJRM", "浙江人民出版社"), ("PUB-ZJWY", "浙江文艺出版社"), ("PUB-SHYW", "上海译文出版社")]
AUDITOR = ("AUDIT-ZJSJT", "浙江省审计厅")
SPONSOR = ("SPONSOR-ZJWH", "浙江省文化发展基金")
PLATFORM = "platform"  # key of the platform operator admitted at deployment (LIBLEDGER-PLATFORM)
TITLES = [
    ("PUB-ZJRM", "浙江通史（第一卷）"), ("PUB-ZJRM", "宋韵文化简明读本"), ("PUB-ZJRM", "之江新语"), ("PUB-ZJRM", "良渚文明探源"),
    ("PUB-ZJWY", "西湖梦寻 · 新注"), ("PUB-ZJWY", "鲁迅小说全集"), ("PUB-ZJWY", "江南：一个文化的剖面"), ("PUB-ZJWY", "越剧百年"),
    ("PUB-SHYW", "百年孤独（译本）"), ("PUB-SHYW", "追忆似水年华 · 第一卷"), ("PUB-SHYW", "哈姆雷特（中英对照）"), ("PUB-SHYW", "数字图书馆导论"),
]
MARKER = "demo-seeded.json"
TOKENS = "demo-tokens.json"


def _h(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def seed(settings: Any, *, force: bool = False, console: Console | None = None) -> dict[str, str]:
    """Seed the demo consortium; returns {member: token}. Idempotent unless ``force``."""
    from . import tokens
    from .runtime import Runtime
    from .services import writes

    console = console or Console()
    s: ApiSettings = api_settings(settings, write_wait_timeout=0.0)
    marker = s.data_path / MARKER
    if marker.exists() and not force:
        console.print("demo data already seeded")
        return json.loads((s.data_path / TOKENS).read_text()) if (s.data_path / TOKENS).exists() else {}
    if s.chain_profile != ChainProfile.dev:
        raise SystemExit("the demo seeds dev chains only")
    rt = Runtime.open(s)
    say = console.print
    try:
        def actor(key: str) -> Actor:
            return Actor(member=key, account=accounts.signer(s, key).address)

        gov = actor("governor")
        plat = actor(PLATFORM)
        consortium = rt.chain.contract("Consortium")
        members = [(k, n, ["library"]) for k, n in LIBRARIES] + [(k, n, ["publisher"]) for k, n in PUBLISHERS]
        members += [(AUDITOR[0], AUDITOR[1], ["auditor"]), (SPONSOR[0], SPONSOR[1], ["sponsor"])]
        with console.status("admitting members…"):
            for key, name, roles in members:
                acct = accounts.signer(s, key).address
                if int(consortium.call("member", acct)["status"]) == 0:
                    writes.admit_member(rt=rt, actor=gov, account=acct, isil=key, name=name, roles=roles)
        say(f"[green]✓[/] {len(members)} members admitted (5 libraries, 3 publishers, auditor, sponsor) + platform")
        for key, _ in LIBRARIES:
            writes.mint_credit(rt=rt, actor=plat, to=actor(key).account, amount=5_000_000_00)
        writes.mint_credit(rt=rt, actor=plat, to=actor(SPONSOR[0]).account, amount=10_000_000_00)
        for key, _ in LIBRARIES:  # metered checkouts are paid from the library's loan deposit
            writes.deposit_for_loans(rt=rt, actor=actor(key), amount=1_000_00)
            writes.reserve_loan_slots(rt=rt, actor=actor(key), groups=4)  # 12 loans' storage prepaid
        say("[green]✓[/] credit minted: ¥5,000,000.00 per library (¥1,000.00 of it deposited for metered loans, "
            "storage for 12 loans reserved), "
            "¥10,000,000.00 to the sponsor")
        say(_platform_key(rt, s))

        work_ids: list[tuple[str, int]] = []
        terms_of: dict[str, dict[str, int]] = {}
        with console.status("registering works and terms…"):
            for pub, _ in PUBLISHERS:
                a = actor(pub)
                t: dict[str, int] = {}
                for kind, price, kw in [
                    ("PerpetualCopies", 6800, dict(copies=2, loan_period=21 * 86400, ill_allowed=True)),
                    ("PerLoanMetered", 150, dict(copies=5, loan_period=14 * 86400, ill_allowed=True)),
                    ("Subscription", 36000, dict(copies=10, loan_period=14 * 86400, duration=365 * 86400)),
                ]:
                    _, tid = writes.publish_terms(rt=rt, actor=a, kind=kind, price=price, territory="CN", legal_text_uri=f"ipfs://legal/{pub}/{kind}", **kw)
                    t[kind] = tid  # type: ignore[assignment]
                terms_of[pub] = t
            for pub, title in TITLES:
                a = actor(pub)
                ch = _h("demo:" + title)
                existing = rt.chain.contract("Works").call("workIdOf", ch)
                if existing:
                    work_ids.append((pub, int(existing)))
                    continue
                _, wid = writes.register_work(rt=rt, actor=a, content_hash=ch, iscc=b"\x00\x10" + _h("iscc:" + title)[:14],
                                              metadata_uri=f"ipfs://demo/{_h(title).hex()[:46]}", title=title)
                work_ids.append((pub, wid))  # type: ignore[arg-type]
                for kind, tid in terms_of[pub].items():
                    writes.attach_terms(rt=rt, actor=a, work_id=wid, terms_id=tid)  # type: ignore[arg-type]
        say(f"[green]✓[/] {len(work_ids)} works registered, {3 * len(PUBLISHERS)} sets of terms attached")

        licences: dict[str, list[int]] = {}
        loans = 0
        with console.status("licences and digital loans…"):
            for i, (lib, _) in enumerate(LIBRARIES):
                la = actor(lib)
                licences[lib] = []
                for j, (pub, wid) in enumerate(work_ids):
                    if (i + j) % 3:
                        continue
                    kind = ["PerpetualCopies", "PerLoanMetered", "Subscription"][(i + j) % 2]
                    _, lid = writes.acquire_licence(rt=rt, actor=la, work_id=wid, terms_id=terms_of[pub][kind], copies=1 + (j % 2))
                    licences[lib].append(lid)  # type: ignore[arg-type]
                    _, loan = writes.checkout(rt=rt, actor=la, licence_id=lid)  # type: ignore[arg-type]
                    loans += 1
                    if j % 2 == 0:
                        writes.checkin(rt=rt, actor=la, loan_id=loan)  # type: ignore[arg-type]
                        _, loan = writes.checkout(rt=rt, actor=la, licence_id=lid)  # type: ignore[arg-type]
                        loans += 1
        say(f"[green]✓[/] {sum(map(len, licences.values()))} licences, {loans} digital loans")

        with console.status("interlibrary loans in every ISO 18626 status…"):
            statuses = _ill_demo(rt, s, actor, licences, work_ids)
        say(f"[green]✓[/] {len(statuses)} ILL requests: " + ", ".join(sorted(set(statuses))))

        with console.status("closing and settling a period…"):
            _, pid = writes.close_period(rt=rt, actor=plat)
            clearing = rt.chain.contract("Clearing")
            for lib, _ in LIBRARIES:
                a = actor(lib)
                if clearing.call("amountDue", pid, a.account):
                    writes.settle_period(rt=rt, actor=a, period_id=pid)  # type: ignore[arg-type]
            for lib, _ in LIBRARIES:
                a = actor(lib)
                if clearing.call("withdrawable", pid, a.account):
                    writes.withdraw_settlement(rt=rt, actor=a, period_id=pid)  # type: ignore[arg-type]
        say(f"[green]✓[/] settlement period {pid} closed, debts paid, claims withdrawn")

        out: dict[str, str] = {}
        with rt.writing() as session:
            for key in [PLATFORM, "governor", *[k for k, _, _ in members]]:
                out[key], _ = tokens.create(session, member=key, account=accounts.signer(s, key).address, name="demo")
        path = s.data_path / TOKENS
        write_json_atomic(path, out, mode=0o600, indent=2, ensure_ascii=False)
        marker.write_text(json.dumps({"seeded_at": time.time(), "block": rt.chain.block_number()}))
        say(f"[green]✓[/] demo API tokens → {path} (mode 0600)")
        return out
    finally:
        rt.close()


def _platform_key(rt: Any, s: ApiSettings) -> str:
    """The platform's X25519 key (seals uploaded works, signs statements in the console), created and
    published like `libledger keys x25519 --member LIBLEDGER-PLATFORM` when ``key_passphrase`` is set."""
    import nacl.pwhash

    from ledger.delivery import PlatformKeys, member_key_path, platform_account, publish_member_key, write_stamp_public_key

    account = platform_account(rt.chain)
    institution = rt.chain.contract("Consortium").call("member", account)["institutionId"]
    if bytes(rt.chain.contract("Consortium").call("member", account)["x25519PublicKey"]) != bytes(32):
        return "[green]✓[/] platform X25519 key already published"
    passphrase = platform_key_passphrase(s)
    if not passphrase:
        return "[yellow]![/] no platform X25519 key: set LIBLEDGER_KEY_PASSPHRASE to seal uploads and sign statements in the console"
    pair = publish_member_key(
        chain=rt.chain, member=accounts.signer(s, PLATFORM), key_path=member_key_path(s, institution), passphrase=passphrase,
        opslimit=nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE, memlimit=nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE,  # dev chains only
    )
    write_stamp_public_key(s, PlatformKeys(pair))
    return f"[green]✓[/] platform X25519 key published; statement key {PlatformKeys(pair).stamp_public_key.hex()[:16]}…"


def _ill_demo(rt: Any, s: ApiSettings, actor: Any, licences: dict[str, list[int]], work_ids: list[tuple[str, int]]) -> list[str]:
    from .services import writes

    zjl, hzl, nbl, wzl, ral = (actor(k) for k, _ in LIBRARIES)
    now = lambda: int(rt.chain.rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)  # noqa: E731
    tag = hashlib.sha256(str(time.time_ns()).encode()).hexdigest()[:6]
    done: list[str] = []
    n = 0

    def req(requester: Any, supplier: Any, **kw: Any) -> str:
        nonlocal n
        n += 1
        kw.setdefault("bibliographic_key", f"ISBN 978-7-{5000 + n:04d}-{tag}")
        _, rid = writes.request_ill(rt=rt, actor=requester, supplier=supplier.account, own_id=f"{requester.member[-3:]}-{tag}-{n}", max_cost=2000, **kw)
        return rid

    def st(supplier: Any, rid: str, status: str, **kw: Any) -> None:
        writes.ill_update_status(rt=rt, actor=supplier, request_id=rid, status=status, **kw)

    month = lambda: now() + 30 * 86400  # noqa: E731
    req(hzl, zjl); done.append("RequestReceived")
    rid = req(nbl, zjl); st(zjl, rid, "ExpectToSupply"); done.append("ExpectToSupply")
    rid = req(wzl, zjl); st(zjl, rid, "WillSupply"); done.append("WillSupply")
    rid = req(ral, hzl); st(hzl, rid, "RetryPossible", reason_code=8); done.append("RetryPossible")
    rid = req(hzl, nbl); st(nbl, rid, "Unfilled", reason_code=3); done.append("Unfilled")
    rid = req(nbl, hzl); st(hzl, rid, "Loaned", due_date=month(), charge=600); writes.ill_act(rt=rt, actor=nbl, request_id=rid, action="Received"); done.append("Loaned")
    rid = req(ral, zjl); st(zjl, rid, "Loaned", due_date=month(), charge=500); st(zjl, rid, "Recalled"); done.append("Recalled")
    rid = req(wzl, hzl); writes.ill_act(rt=rt, actor=wzl, request_id=rid, action="Cancel"); writes.ill_answer_cancel(rt=rt, actor=hzl, request_id=rid, accept=True); done.append("Cancelled")
    rid = req(hzl, wzl); st(wzl, rid, "Loaned", due_date=month(), charge=700); writes.ill_act(rt=rt, actor=hzl, request_id=rid, action="Lost")
    st(wzl, rid, "CompletedWithoutReturn", charge=8800); done.append("CompletedWithoutReturn")
    rid = req(zjl, nbl, service="Copy"); st(nbl, rid, "CopyCompleted", charge=300); done.append("CopyCompleted")
    rid = req(zjl, hzl); st(hzl, rid, "WillSupply"); st(hzl, rid, "Loaned", due_date=month(), charge=900)
    writes.ill_act(rt=rt, actor=zjl, request_id=rid, action="Received"); writes.ill_act(rt=rt, actor=zjl, request_id=rid, action="ShippedReturn")
    st(hzl, rid, "LoanCompleted"); done.append("LoanCompleted")
    # a digital ILL of a licensed work (per-loan fee through the 70/30 split), still on loan
    lid = licences["CN-330000-ZJL"][0]
    wid = rt.chain.contract("Licensing").call("licence", lid)["workId"]
    rid = req(nbl, zjl, work_id=int(wid), bibliographic_key=None, licence_id=lid)
    st(zjl, rid, "Loaned", charge=200); done.append("Loaned (digital)")
    # Overdue: a short loan, then the dev chain's clock moves past its due date
    rid = req(ral, nbl); st(nbl, rid, "Loaned", due_date=now() + 120, charge=400)
    rt.chain.rpc.call("evm_increaseTime", [3600]); rt.chain.rpc.call("evm_mine")
    writes.ill_mark_overdue(rt=rt, actor=nbl, request_id=rid); done.append("Overdue")
    return done


def quickstart_serve(settings: Any) -> None:
    """End of `libledger quickstart` (make run): seed the demo on first run, print how to use it, serve."""
    from rich.panel import Panel

    from .cli import serve

    console = Console()
    s = api_settings(settings)
    tokens = seed(s, console=console)
    url = f"http://{s.api_host}:{s.api_port}"
    lines = [f"[bold]API[/] {url}   docs {url}/docs   health {url}/health", "", "[bold]demo tokens[/] (also in " + str(s.data_path / TOKENS) + ")"]
    for k, v in tokens.items():
        lines.append(f"  {k:<16} {v}")
    lib, pub = tokens.get("CN-330000-ZJL", "TOKEN"), tokens.get("PUB-ZJRM", "TOKEN")
    lines += [
        "", "[bold]try[/]",
        f"  curl -s -H 'Authorization: Bearer {lib}' '{url}/works?title=%E8%A5%BF%E6%B9%96'",
        f"  curl -s -H 'Authorization: Bearer {lib}' '{url}/ill/requests?party=me&limit=5'",
        f"  curl -s -X POST -H 'Authorization: Bearer {pub}' -H 'Content-Type: application/json' {url}/terms "
        "-d '{\"kind\":\"PerLoanMetered\",\"price\":200,\"copies\":3,\"loan_period_seconds\":1209600,\"territory\":\"CN\"}'",
    ]
    console.print(Panel("\n".join(lines), title="libledger is running", expand=False))
    serve(data_dir=s.data_dir, host=None, port=None, indexer=True)
