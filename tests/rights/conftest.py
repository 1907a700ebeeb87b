"""Real documents made by the tests: EPUB (ebooklib), PDF (fpdf2, with Chinese text) and text.

Chinese in the PDF: no CJK font is installed on these machines and none can be downloaded,
so the tests build a tiny TrueType font with fontTools (already installed with fpdf2) that
has a plain box glyph for each character used. fpdf2 embeds it with a ToUnicode map,
which is what pypdf reads back, so the Chinese text really round-trips through a PDF.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

_WORDS = (
    "library catalogue reader shelf volume chapter river winter harbour lantern garden "
    "letter window morning evening journey island mountain forest village market bridge "
    "silver copper paper ink map compass sailor teacher doctor baker miller weaver "
    "quiet bright ancient narrow distant gentle sudden patient careful hidden "
    "walked carried opened remembered wrote listened returned discovered borrowed "
    "through across beneath beyond toward among before after while because"
).split()

CHINESE = "图书馆联盟共享数字馆藏，读者可以在线借阅电子书。这本书讲述了一座小城的故事。"


def prose(seed: int, n_words: int = 1200) -> str:
    """Deterministic English-like prose: sentences of 6-14 words, paragraphs of 4-7 sentences."""
    rng = random.Random(seed)
    paras, words_left = [], n_words
    while words_left > 0:
        sents = []
        for _ in range(rng.randint(4, 7)):
            n = rng.randint(6, 14)
            w = [rng.choice(_WORDS) for _ in range(n)]
            sents.append(" ".join(w).capitalize() + ".")
            words_left -= n
        paras.append(" ".join(sents))
    return "\n\n".join(paras)


def edit_words(text: str, n_changes: int, seed: int = 7) -> str:
    """Replace `n_changes` words with another word (a light edit)."""
    rng = random.Random(seed)
    words = text.split(" ")
    for i in rng.sample(range(len(words)), n_changes):
        words[i] = "quokka"
    return " ".join(words)


def make_epub(path: Path, *, title: str, chapters: list[tuple[str, str]], language: str = "en") -> Path:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier(f"urn:uuid:test-{abs(hash(title)) % 10**8}")
    book.set_title(title)
    book.set_language(language)
    book.add_author("Test Author")
    items = []
    for i, (heading, body) in enumerate(chapters, 1):
        c = epub.EpubHtml(title=heading, file_name=f"chap_{i}.xhtml", lang=language)
        paras = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
        c.content = f"<html><head><title>{heading}</title></head><body><h1>{heading}</h1>{paras}</body></html>"
        book.add_item(c)
        items.append(c)
    book.toc = tuple(items)
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = items
    epub.write_epub(str(path), book)
    return path


def make_cjk_test_font(path: Path, chars: str) -> Path:
    """A TrueType font with a box glyph for every character in `chars` (and space)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    cps = sorted({ord(c) for c in chars if not c.isspace()} | {0x20})
    names = {cp: f"uni{cp:04X}" for cp in cps}
    order = [".notdef"] + [names[cp] for cp in cps]
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap({cp: names[cp] for cp in cps})

    def box(width: int):
        pen = TTGlyphPen(None)
        pen.moveTo((50, 0))
        pen.lineTo((50, 700))
        pen.lineTo((width - 50, 700))
        pen.lineTo((width - 50, 0))
        pen.closePath()
        return pen.glyph()

    empty = TTGlyphPen(None).glyph()
    glyphs, metrics = {".notdef": box(500)}, {".notdef": (500, 50)}
    for cp in cps:
        wide = cp > 0x2E80
        w = 1000 if wide else 550
        glyphs[names[cp]] = empty if cp == 0x20 else box(w)
        metrics[names[cp]] = (w if cp != 0x20 else 300, 0 if cp == 0x20 else 50)
    fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics(metrics)
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": "LibledgerTestBoxes", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    fb.setupPost()
    fb.save(str(path))
    return path


def make_pdf(path: Path, *, title: str, chapters: list[tuple[str, str]], font_path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("Boxes", fname=str(font_path))
    pdf.set_font("Boxes", size=11)
    for heading, body in chapters:
        pdf.add_page()
        pdf.multi_cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        for para in body.split("\n\n"):
            pdf.multi_cell(0, 6, para, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    pdf.set_title(title)
    pdf.output(str(path))
    return path


@pytest.fixture(scope="session")
def book_chapters() -> list[tuple[str, str]]:
    return [("Chapter One", prose(1, 700)), ("Chapter Two", prose(2, 700) + "\n\n" + CHINESE)]


@pytest.fixture(scope="session")
def files(tmp_path_factory, book_chapters):
    """A small library of real files, made once per session."""
    d = tmp_path_factory.mktemp("library")
    all_text = "".join(h + b for h, b in book_chapters) + prose(3, 700) + prose(99, 700)
    font = make_cjk_test_font(d / "boxes.ttf", all_text)
    edited = [(h, edit_words(b, 3)) for h, b in book_chapters]
    unrelated = [("Chapter One", prose(3, 700)), ("Chapter Two", prose(99, 700))]
    out = {
        "epub": make_epub(d / "book.epub", title="A Test Book", chapters=book_chapters),
        "epub_edited": make_epub(d / "book-edited.epub", title="A Test Book", chapters=edited),
        "epub_unrelated": make_epub(d / "other.epub", title="Another Book", chapters=unrelated),
        "pdf": make_pdf(d / "book.pdf", title="A Test Book", chapters=book_chapters, font_path=font),
        "font": font,
    }
    plain = "\n\n".join(h + "\n\n" + b for h, b in book_chapters)
    (d / "book.txt").write_text(plain, encoding="utf-8")
    (d / "book-gb18030.txt").write_bytes(plain.encode("gb18030"))
    out["txt"] = d / "book.txt"
    out["txt_gb18030"] = d / "book-gb18030.txt"
    out["dir"] = d
    return out
