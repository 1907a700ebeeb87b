"""Benchmark: fingerprint throughput and near-duplicate lookup time.

    python bench/fingerprint.py [--corpus-mb 50] [--works 100000] [--seed 1]

Prints one JSON line per figure:
  {"bench": ..., "value": ..., "unit": ..., "baseline": ..., "baseline_what": ..., ...}

1. SHA-256 + ISCC (Data, Instance, and Text-Code where there is text) over a generated
   corpus of ~50 MB: plain text (UTF-8 and GB18030), EPUB (text + incompressible images),
   PDF (fpdf2) and binary. Baseline: hashlib SHA-256 alone over the same bytes.
2. Near-duplicate lookup against 100,000 registered Text-Codes (multi-index hashing,
   rights.similarity) vs the linear pure-Python scan, same queries, same run, p50/p99 ms.
The corpus is generated in a temp dir (not timed) and removed afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rights.fingerprint import fingerprint_file  # noqa: E402
from rights.similarity import NearDuplicateIndex, linear_near  # noqa: E402

MB = 1_000_000
_WORDS = (
    "library catalogue reader shelf volume chapter river winter harbour lantern garden letter window "
    "morning evening journey island mountain forest village market bridge silver copper paper ink map "
    "quiet bright ancient narrow distant gentle sudden patient careful hidden walked carried opened"
).split()
_HANZI = "图书馆联盟共享数字馆藏读者可以在线借阅电子书这本讲述了一座小城的故事春夏秋冬山水人家"


def _prose(rng: random.Random, n_chars: int, chinese: bool = False) -> str:
    out, size = [], 0
    while size < n_chars:
        if chinese:
            s = "".join(rng.choice(_HANZI) for _ in range(rng.randint(8, 30))) + "。"
        else:
            s = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 14))).capitalize() + ". "
        out.append(s)
        size += len(s)
    return "".join(out)


def make_corpus(d: Path, total_mb: int, seed: int) -> list[tuple[str, Path]]:
    from ebooklib import epub
    from fpdf import FPDF

    rng = random.Random(seed)
    files: list[tuple[str, Path]] = []
    budget = {"text": 0.16, "epub": 0.16}
    # plain text: 4 files, UTF-8 and GB18030
    per = int(total_mb * MB * budget["text"] / 4)
    for i in range(4):
        p = d / f"t{i}.txt"
        if i % 2:
            p.write_bytes(_prose(rng, per // 2, chinese=True).encode("gb18030"))
        else:
            p.write_text(_prose(rng, per), encoding="utf-8")
        files.append(("text", p))
    # EPUB: ~1/4 text, the rest images (as real books with illustrations)
    per = int(total_mb * MB * budget["epub"] / 4)
    for i in range(4):
        book = epub.EpubBook()
        book.set_identifier(f"bench-{i}")
        book.set_title(f"Bench {i}")
        book.set_language("en")
        chapters = []
        for c in range(8):
            ch = epub.EpubHtml(title=f"C{c}", file_name=f"c{c}.xhtml", lang="en")
            ch.content = f"<html><body><h1>C{c}</h1><p>{_prose(rng, per // 4 // 8)}</p></body></html>"
            book.add_item(ch)
            chapters.append(ch)
        book.add_item(epub.EpubItem(uid="img", file_name="img/plate.jpg", media_type="image/jpeg", content=rng.randbytes(per * 3 // 4)))
        book.spine = chapters
        book.add_item(epub.EpubNcx())
        book.add_item(epub.EpubNav())
        p = d / f"b{i}.epub"
        epub.write_epub(str(p), book)
        files.append(("epub", p))
    # PDF: text pages (core font, Latin text); fpdf2 lays out ~10 pages/s, so the page
    # count is fixed rather than sized to a byte budget
    for i in range(2):
        pdf = FPDF()
        pdf.set_font("Helvetica", size=10)
        p = d / f"p{i}.pdf"
        pages = 60
        for _ in range(pages):
            pdf.add_page()
            pdf.multi_cell(0, 5, _prose(rng, 3200), new_x="LMARGIN", new_y="NEXT")
        pdf.output(str(p))
        files.append(("pdf", p))
    # binary: the rest
    used = sum(p.stat().st_size for _, p in files)
    rest = max(0, total_mb * MB - used)
    for i in range(4):
        p = d / f"x{i}.bin"
        p.write_bytes(rng.randbytes(rest // 4))
        files.append(("binary", p))
    return files


def emit(**fields) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def bench_fingerprint(files: list[tuple[str, Path]]) -> None:
    by_kind: dict[str, list[float]] = {}
    total_bytes = sum(p.stat().st_size for _, p in files)
    t0 = time.perf_counter()
    for kind, p in files:
        s = time.perf_counter()
        fp = fingerprint_file(p)
        assert (fp.iscc_content is not None) == (kind != "binary"), (kind, p)
        by_kind.setdefault(kind, [0.0, 0.0])
        by_kind[kind][0] += fp.size
        by_kind[kind][1] += time.perf_counter() - s
    elapsed = time.perf_counter() - t0
    s = time.perf_counter()
    for _, p in files:
        h = hashlib.sha256()
        with p.open("rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    sha_elapsed = time.perf_counter() - s
    emit(
        bench="fingerprint_throughput",
        value=round(total_bytes / MB / elapsed, 2),
        unit="MB/s",
        baseline=round(total_bytes / MB / sha_elapsed, 1),
        baseline_what="hashlib SHA-256 alone, same files",
        corpus_mb=round(total_bytes / MB, 1),
        files=len(files),
        seconds=round(elapsed, 2),
    )
    for kind, (size, secs) in by_kind.items():
        emit(bench=f"fingerprint_throughput_{kind}", value=round(size / MB / secs, 2), unit="MB/s",
             baseline=None, mb=round(size / MB, 1), seconds=round(secs, 2))


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def bench_lookup(n_works: int, seed: int, max_distance: int, queries: int, linear_queries: int) -> None:
    rng = random.Random(seed)
    codes = [rng.getrandbits(64) for _ in range(n_works)]
    index = NearDuplicateIndex()
    t = time.perf_counter()
    for i, c in enumerate(codes):
        index.add(f"work-{i}", c)
    build = time.perf_counter() - t
    entries = [(f"work-{i}", c, True) for i, c in enumerate(codes)]

    def query(k: int) -> int:
        if k % 2:  # half are near copies of registered works, half are new works
            c = codes[rng.randrange(n_works)]
            for b in rng.sample(range(64), rng.randint(0, max_distance)):
                c ^= 1 << b
            return c
        return rng.getrandbits(64)

    qs = [query(k) for k in range(queries)]
    mih = []
    for q in qs:
        s = time.perf_counter()
        index.near(q, max_distance)
        mih.append((time.perf_counter() - s) * 1000)
    lin = []
    for q in qs[:linear_queries]:
        s = time.perf_counter()
        expected = linear_near(entries, q, max_distance)
        lin.append((time.perf_counter() - s) * 1000)
        assert index.near(q, max_distance) == expected
    common = dict(unit="ms", works=n_works, max_distance_bits=max_distance, queries=queries,
                  baseline_queries=linear_queries, baseline_what="linear pure-Python scan, same queries")
    emit(bench="near_duplicate_lookup_p50", value=round(_pct(mih, 0.5), 3), baseline=round(_pct(lin, 0.5), 2), **common)
    emit(bench="near_duplicate_lookup_p99", value=round(_pct(mih, 0.99), 3), baseline=round(_pct(lin, 0.99), 2),
         target_ms=50, index_build_s=round(build, 2), mean_ms=round(statistics.fmean(mih), 3), **common)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus-mb", type=int, default=50)
    ap.add_argument("--works", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="libledger-bench-") as tmp:
        files = make_corpus(Path(tmp), args.corpus_mb, args.seed)
        bench_fingerprint(files)
    for d in (8, 12, 16):
        bench_lookup(args.works, args.seed, max_distance=d, queries=400, linear_queries=40)


if __name__ == "__main__":
    main()
