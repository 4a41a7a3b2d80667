"""Write the import fuzz corpus (tests/data/fuzz/) from the real fixtures, deterministically.

Run ``python tests/fuzz/make_corpus.py`` after changing a fixture or a mutation; the same
fixtures always give the same bytes (fixed seed, no clock), so ``git diff`` shows what
changed. Every file is a damaged or oddly encoded copy of a real export, of the kinds
found in the field: byte flips, cuts, re-encodings, BOM + bad byte, line-end mixes, NUL
bytes, Unicode spaces at line ends, lost record ends and braces, deep nesting, mixed
formats, XML entity bombs and an XLSX that declares 900 million rows.

Large hostile inputs (huge lines, zip bombs, a million columns, FIFOs, /dev/zero) are
built at test time by ``test_corpus.py``, so the committed corpus stays small.
``manifest.json`` names, for each file, the mutation, the fixture it came from (relative
to tests/data) and that fixture's format, which the test uses to decide what the import
must keep.
"""

from __future__ import annotations

import codecs
import json
import random
import re
import shutil
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
OUT = DATA / "fuzz"
SEED = 20

#: Fixtures (relative to tests/data) -> their format. Files without records (an error
#: page, prose) are left out: their refusal is tested elsewhere.
SOURCES: dict[str, str] = {
    "newreview/embase.ris": "ris",
    "newreview/medline.nbib": "nbib",
    "newreview/wos.txt": "wos",
    **{
        f"formats/ris/{n}.ris": "ris"
        for n in (
            "cochrane", "ebsco_cinahl", "endnote", "lowercase_tags", "mendeley",
            "multiline_abstract", "no_final_er", "no_space_after_dash", "one_space_tags",
            "ovid_embase", "ovid_medline", "scopus", "zotero",
        )
    },
    "formats/nbib/pubmed.nbib": "nbib",
    "formats/nbib/book_chapter.nbib": "nbib",
    "formats/nbib/truncated.nbib": "nbib",
    "formats/wos/savedrecs.txt": "wos",
    "formats/wos/no_ef.txt": "wos",
    "formats/wos/truncated.txt": "wos",
    "formats/bibtex/zotero.bib": "bibtex",
    "formats/endnote/two_records.xml": "endnote-xml",
    "formats/tabular/generic.csv": "csv",
    "formats/tabular/scopus.csv": "scopus-csv",
    "formats/tabular/semicolon_cp1252.csv": "csv",
    "formats/tabular/wos_tab.txt": "wos-tab",
    "formats/detect/plain.tsv": "tsv",
    "formats/detect/preamble.ris": "ris",
}  # fmt: skip

#: One fixture per format also gets every re-encoding (the rest get the cheap mutations).
ENCODED = (
    "newreview/embase.ris",
    "newreview/medline.nbib",
    "newreview/wos.txt",
    "formats/bibtex/zotero.bib",
    "formats/endnote/two_records.xml",
    "formats/tabular/generic.csv",
    "formats/tabular/scopus.csv",
)

#: Spaces that real exports carry at line ends (pasted titles, publisher metadata).
UNICODE_SPACES = ("\u00a0", "\u2009", "\u3000", "\u0085", "\x1c", "\x1d", "\x1e", "\x1f")

#: Where a title value starts, per format: re-encodings put non-ASCII text there so the
#: encoding matters (the fixtures are mostly ASCII).
_TITLE_START = {
    "ris": re.compile(r"^((?:TI|T1|ti|t1) {1,2}- ?)", re.MULTILINE),
    "nbib": re.compile(r"^(TI  - )", re.MULTILINE),
    "wos": re.compile(r"^(TI )", re.MULTILINE),
    "bibtex": re.compile(r"(\btitle\s*=\s*[{\"])", re.IGNORECASE),
    "endnote-xml": re.compile(r"(<title>(?:<style[^>]*>)?)"),
}
LATIN = "Évaluation naïve à Zürich: "
CYRILLIC = "Социальное предписание: "


def _insert_title_text(text: str, fmt: str, words: str) -> str:
    pattern = _TITLE_START.get(fmt)
    return pattern.sub(lambda m: m.group(1) + words, text) if pattern else text


def _encoded(words: str, codec: str, *, bom: bytes = b"") -> Callable[[str, str], bytes]:
    def mutate(text: str, fmt: str) -> bytes:
        return bom + _insert_title_text(text, fmt, words).encode(codec, errors="replace")

    return mutate


def _double_utf8(text: str, fmt: str) -> bytes:
    once = _insert_title_text(text, fmt, LATIN).encode("utf-8")
    return once.decode("cp1252", errors="replace").encode("utf-8")


# Encoding mutations: name -> (bytes, the text a lossless import must give back).
ENCODINGS: dict[str, tuple[Callable[[str, str], bytes], str, str]] = {
    # name: (mutate, words inserted, codec whose lossy round trip the expected text takes)
    "utf16le-bom": (_encoded(LATIN, "utf-16-le", bom=codecs.BOM_UTF16_LE), LATIN, "utf-8"),
    "utf16be-bom": (_encoded(LATIN, "utf-16-be", bom=codecs.BOM_UTF16_BE), LATIN, "utf-8"),
    "utf16le": (_encoded(LATIN, "utf-16-le"), LATIN, "utf-8"),
    "utf16be": (_encoded(LATIN, "utf-16-be"), LATIN, "utf-8"),
    "utf8-bom": (_encoded(LATIN, "utf-8", bom=codecs.BOM_UTF8), LATIN, "utf-8"),
    "cp1252": (_encoded(LATIN, "cp1252"), LATIN, "cp1252"),
    "latin1": (_encoded(LATIN, "latin-1"), LATIN, "latin-1"),
    "koi8r": (_encoded(CYRILLIC, "koi8-r"), CYRILLIC, "koi8-r"),
    "double-utf8": (_double_utf8, LATIN, "utf-8"),
}


def expected_text(source_text: str, fmt: str, mutation: str) -> str | None:
    """The text whose parse a lossless import of this mutation must equal, or None when
    the mutation may lose records (flips, cuts): then only the warnings must account."""
    if mutation in ENCODINGS:
        _, words, codec = ENCODINGS[mutation]
        text = _insert_title_text(source_text, fmt, words)
        return text.encode(codec, errors="replace").decode(codec)
    if mutation in ("eol-crlf", "eol-cr", "eol-mixed", "uspace"):
        return source_text
    return None


def _lines_keep(text: str) -> list[str]:
    return text.split("\n")


def eol_variants(text: str, rng: random.Random) -> dict[str, bytes]:
    lines = _lines_keep(text)
    mixed = "".join(line + rng.choice(("\n", "\r\n", "\r")) for line in lines[:-1]) + lines[-1]
    return {
        "eol-crlf": text.replace("\n", "\r\n").encode("utf-8"),
        "eol-cr": text.replace("\n", "\r").encode("utf-8"),
        "eol-mixed": mixed.encode("utf-8"),
    }


def uspace(text: str, rng: random.Random) -> bytes:
    """A Unicode space at the end of about half the lines that carry a value."""
    space = rng.choice(UNICODE_SPACES)
    out = []
    for line in _lines_keep(text):
        if line.strip() and rng.random() < 0.5:
            line += space
        out.append(line)
    return "\n".join(out).encode("utf-8")


def flips(data: bytes, rng: random.Random, n: int) -> bytes:
    buf = bytearray(data)
    for _ in range(n):
        i = rng.randrange(len(buf))
        buf[i] = rng.randrange(256)
    return bytes(buf)


def truncate(data: bytes, rng: random.Random) -> tuple[bytes, int]:
    cut = rng.randrange(1, len(data))
    return data[:cut], cut


def nul(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + b"\x00" + data[i:]


def bom_invalid(data: bytes, rng: random.Random) -> bytes:
    """A UTF-8 BOM then one byte that is not UTF-8 (seen in Scopus CSVs), somewhere early."""
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    i = rng.randrange(min(len(body), 200))
    return (
        codecs.BOM_UTF8 + body[:i] + bytes([rng.choice((0xFF, 0xFE, 0xC3, 0x80, 0xE9))]) + body[i:]
    )


def lost_ends(text: str, fmt: str) -> dict[str, str]:
    """Record ends and brackets lost, per format."""
    out: dict[str, str] = {}
    if fmt in ("ris", "wos"):
        end = re.compile(r"^ER {0,2}-? ?\s*$\n?" if fmt == "ris" else r"^ER\s*$\n?", re.M | re.I)
        matches = list(end.finditer(text))
        if matches:
            out["drop-all-er"] = end.sub("", text)
            m = matches[len(matches) // 2]
            out["drop-one-er"] = text[: m.start()] + text[m.end() :]
    if fmt == "nbib":
        out["no-blank-between"] = re.sub(r"\n\s*\n(?=PMID-)", "\n", text)
    if fmt == "bibtex":
        opens = [m.start() for m in re.finditer(r"@\w+\{", text)]
        if len(opens) > 1:
            i = text.index("{", opens[1])
            out["drop-open-brace"] = text[:i] + "," + text[i + 1 :]
        last = text.rstrip().rfind("}")
        out["drop-last-brace"] = text[:last] + text[last + 1 :]
        out["unbalanced-inner-brace"] = re.sub(
            r"(title\s*=\s*\{)", r"\1{", text, count=1, flags=re.I
        )
    if fmt == "endnote-xml":
        out["drop-record-close"] = text.replace("</record>", "", 1)
        out["drop-root-close"] = text.replace("</xml>", "").replace("</records>", "")
    if fmt in ("csv", "tsv", "scopus-csv", "wos-tab"):
        i = text.find('"', text.find("\n"))
        if i > 0:
            out["unclosed-quote"] = text[:i] + '"' + text[i:]
        out["header-only"] = text.split("\n", 1)[0] + "\n"
    return out


def bibtex_nesting(depth: int) -> str:
    return "@article{deep,\n  title = {" + "{" * depth + "x" + "}" * depth + "},\n}\n"


def xml_nesting(depth: int) -> str:
    return (
        '<?xml version="1.0"?>\n<xml><records><record><titles><title>'
        + "<style>" * depth
        + "x"
        + "</style>" * depth
        + "</title></titles></record></records></xml>\n"
    )


def xml_bombs() -> dict[str, str]:
    laughs = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    doctype = "<!DOCTYPE xml [\n" + "\n".join(laughs) + "\n]>\n"
    body = "<xml><records><record><titles><title>&lol9;</title></titles></record></records></xml>\n"
    external = (
        '<!DOCTYPE xml [<!ENTITY ext SYSTEM "file:///etc/passwd">]>\n'
        "<xml><records><record><titles><title>&ext;</title></titles></record></records></xml>\n"
    )
    return {
        "billion-laughs": '<?xml version="1.0"?>\n' + doctype + body,
        "external-entity": external,
    }


def _zip(entries: dict[str, bytes]) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content)
    return buf.getvalue()


def xlsx(sheet_xml: str) -> bytes:
    """A minimal workbook around one sheet's XML (no clock, so the bytes are stable)."""
    return _zip(
        {
            "[Content_Types].xml": (
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                b'<Default Extension="rels" '
                b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                b'<Default Extension="xml" ContentType="application/xml"/>'
                b'<Override PartName="/xl/workbook.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
            ),
            "_rels/.rels": (
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
                b'2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ),
            "xl/workbook.xml": (
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                b'<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
            ),
            "xl/_rels/workbook.xml.rels": (
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
                b'2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
            ),
            "xl/worksheets/sheet1.xml": sheet_xml.encode(),
        }
    )


def sheet(rows: list[tuple[int, list[str]]], dimension: str | None = None) -> str:
    def cell(r: int, c: int, v: str) -> str:
        ref = chr(ord("A") + c) + str(r)
        v = v.replace("&", "&amp;").replace("<", "&lt;")
        return f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>'

    body = "".join(
        f'<row r="{r}">' + "".join(cell(r, c, v) for c, v in enumerate(vals)) + "</row>"
        for r, vals in rows
    )
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dim}<sheetData>{body}</sheetData></worksheet>"
    )


XLSX_ROWS = [
    (1, ["Title", "Year", "DOI"]),
    (2, ["Social prescribing and loneliness", "2020", "10.1/a"]),
    (3, ["Link workers in primary care", "2019", "10.1/b"]),
]


def special_files() -> list[tuple[str, str, str, bytes]]:
    """(name, mutation, format, bytes) for files not derived from one fixture."""
    newris = (DATA / "newreview/embase.ris").read_text(encoding="utf-8")
    nbib = (DATA / "newreview/medline.nbib").read_text(encoding="utf-8")
    bib = (DATA / "formats/bibtex/zotero.bib").read_text(encoding="utf-8")
    wos = (DATA / "newreview/wos.txt").read_text(encoding="utf-8")
    out = [
        ("empty.ris", "empty", "ris", b""),
        ("blank.nbib", "whitespace-only", "nbib", b" \n\n\t\n"),
        ("bom-only.ris", "bom-only", "ris", codecs.BOM_UTF8),
        ("ris-then-nbib.ris", "mixed-formats", "ris", (newris + "\n" + nbib).encode()),
        ("nbib-then-ris.nbib", "mixed-formats", "nbib", (nbib + "\n" + newris).encode()),
        ("ris-then-bibtex.ris", "mixed-formats", "ris", (newris + "\n" + bib).encode()),
        ("wos-then-ris.txt", "mixed-formats", "wos", (wos + "\n" + newris).encode()),
        ("utf8-then-cp1252.ris", "mixed-encodings", "ris",
         _insert_title_text(newris, "ris", LATIN).encode() + "\nTY  - JOUR\nTI  - Café\nER  - \n"
         .encode("cp1252")),
        ("deep-500.bib", "bibtex-nesting", "bibtex", bibtex_nesting(500).encode()),
        ("deep-20000.bib", "bibtex-nesting", "bibtex", bibtex_nesting(20_000).encode()),
        ("deep-5000.xml", "xml-nesting", "endnote-xml", xml_nesting(5000).encode()),
        ("spaces-20000.ris", "long-whitespace", "ris",
         ("TY  - JOUR\nTI  - Spaces" + " " * 20_000 + "\nER  - \n").encode()),
        ("blank-lines.bib", "long-whitespace", "bibtex",
         ("@article{a,\n  title = {Blank lines}," + "\n" * 20_000 + "}\n").encode()),
        ("good.xlsx", "xlsx-valid", "xlsx", xlsx(sheet(XLSX_ROWS))),
        ("rows-900m.xlsx", "xlsx-huge-dimension", "xlsx",
         xlsx(sheet([*XLSX_ROWS, (900_000_000, ["Far away", "2020", ""])], "A1:C900000000"))),
        ("garbage.xlsx", "xlsx-not-zip", "xlsx", b"PK\x03\x04" + b"\x00garbage" * 20),
        ("no-sheet.xlsx", "xlsx-no-sheet", "xlsx", _zip({"hello.txt": b"hello"})),
    ]  # fmt: skip
    for name, text in xml_bombs().items():
        out.append((f"{name}.xml", f"xml-{name}", "endnote-xml", text.encode()))
    return out


def _decode_fixture(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")  # semicolon_cp1252.csv


def build(out: Path = OUT) -> list[dict[str, object]]:
    """Write the corpus and its manifest under ``out``; returns the manifest."""
    rng = random.Random(SEED)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    manifest: list[dict[str, object]] = []

    def write(name: str, data: bytes, mutation: str, fmt: str, source: str | None,
              **params: object) -> None:  # fmt: skip
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        manifest.append(
            {"file": name, "mutation": mutation, "format": fmt, "source": source, **params}
        )

    for source, fmt in SOURCES.items():
        raw = (DATA / source).read_bytes()
        text = _decode_fixture(raw)
        stem, ext = Path(source).stem, Path(source).suffix
        folder = f"{fmt}/{Path(source).parent.name}-{stem}"
        for i in range(2):
            write(f"{folder}.flip{i}{ext}", flips(raw, rng, 1 + 2 * i), "byte-flip", fmt, source)
        for i in range(2):
            data, cut = truncate(raw, rng)
            write(f"{folder}.cut{i}{ext}", data, "truncation", fmt, source, cut=cut)
        write(f"{folder}.nul{ext}", nul(raw, rng), "nul-byte", fmt, source)
        write(f"{folder}.bom-invalid{ext}", bom_invalid(raw, rng), "bom-invalid-byte", fmt, source)
        write(f"{folder}.uspace{ext}", uspace(text, rng), "uspace", fmt, source)
        eols = eol_variants(text, rng)
        write(f"{folder}.eol-mixed{ext}", eols["eol-mixed"], "eol-mixed", fmt, source)
        for name, mutated in lost_ends(text, fmt).items():
            write(f"{folder}.{name}{ext}", mutated.encode("utf-8"), name, fmt, source)
        if source in ENCODED:
            for name in ("eol-crlf", "eol-cr"):
                write(f"{folder}.{name}{ext}", eols[name], name, fmt, source)
            for name, (mutate, _, _) in ENCODINGS.items():
                write(f"{folder}.{name}{ext}", mutate(text, fmt), name, fmt, source)
    parts = {
        "ris-then-nbib.ris": ["newreview/embase.ris", "newreview/medline.nbib"],
        "nbib-then-ris.nbib": ["newreview/medline.nbib", "newreview/embase.ris"],
        "ris-then-bibtex.ris": ["newreview/embase.ris", "formats/bibtex/zotero.bib"],
        "wos-then-ris.txt": ["newreview/wos.txt", "newreview/embase.ris"],
    }
    for name, mutation, fmt, data in special_files():
        extra = {"parts": parts[name]} if name in parts else {}
        write(f"special/{name}", data, mutation, fmt, None, **extra)
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest


def main() -> None:
    manifest = build()
    size = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"{len(manifest)} files, {size:,} bytes in {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
