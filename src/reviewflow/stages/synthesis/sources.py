"""Findings documents → blocks: plain text, Markdown, DOCX and PDF, keeping page numbers.

Thematic synthesis codes only the sections of a study labelled results or findings, so a
document is read into headings and paragraphs and only the marked sections are kept. In
documents with heading levels (Markdown ``#``, DOCX heading styles) a section ends at the
next heading of the same or a higher level; in plain text and PDF, where levels are not
visible, it ends at the next heading that names another part of a paper (Discussion,
Conclusions, References, ...). Sub-headings inside the findings (often theme names) are
kept as each block's ``section``.

Pages: PDF pages come from pypdf; a form feed (``\\f``, as pdftotext writes) starts a new
page in text files; in DOCX, explicit and last-rendered page breaks count pages.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import InputError
from .segments import Block

#: Section names kept by default.
DEFAULT_SECTIONS: tuple[str, ...] = ("results", "findings")
#: Headings that end a findings section in documents without heading levels.
STOP_SECTIONS: tuple[str, ...] = (
    "discussion",
    "conclusion",
    "conclusions",
    "limitations",
    "strengths and limitations",
    "implications",
    "references",
    "acknowledgements",
    "acknowledgments",
    "appendix",
    "supplementary",
    "funding",
    "declarations",
)
FORMATS = ("text", "markdown", "docx", "pdf")

_NUMBERING = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|[IVX]+\.)\s*")


@dataclass
class _Part:
    """A heading (level may be None when unknown) or a paragraph."""

    text: str
    page: int | None
    heading: bool = False
    level: int | None = None
    indented: bool = False


@dataclass
class FindingsDocument:
    file_name: str
    format: str
    sha256: str
    blocks: list[Block]
    sections: list[str] = field(default_factory=list)  # headings of the kept sections


def load(
    path: str | Path,
    *,
    sections: Sequence[str] | None = DEFAULT_SECTIONS,
    fmt: str | None = None,
) -> FindingsDocument:
    """Read a findings document; ``sections=None`` keeps the whole document."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file", hint="Check the path of the findings file.")
    return loads(
        path.read_bytes(), file_name=path.name, sections=sections, fmt=fmt, where=str(path)
    )


def loads(
    data: bytes,
    *,
    file_name: str,
    sections: Sequence[str] | None = DEFAULT_SECTIONS,
    fmt: str | None = None,
    where: str | None = None,
) -> FindingsDocument:
    """Read a findings document from its bytes (an attached full text read from the blob
    store, an upload); ``file_name`` gives the format, ``where`` names it in errors."""
    where = where or file_name
    fmt = fmt or detect_format(Path(file_name))
    parts = _READERS[fmt](where, data)
    blocks, kept = restrict(parts, sections, file=where)
    return FindingsDocument(
        file_name=file_name,
        format=fmt,
        sha256=hashlib.sha256(data).hexdigest(),
        blocks=blocks,
        sections=kept,
    )


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        return "markdown"
    if suffix == ".docx":
        return "docx"
    if suffix == ".pdf":
        return "pdf"
    if suffix in (".txt", ".text", ""):
        return "text"
    raise InputError(
        f"{path}: cannot tell the format of a findings file from '{suffix}'",
        hint="Use .txt, .md, .docx or .pdf, or pass the format (--format text).",
    )


def restrict(
    parts: Sequence[_Part], sections: Sequence[str] | None, *, file: str
) -> tuple[list[Block], list[str]]:
    """Keep the paragraphs under headings named in ``sections``."""
    wanted = [s.lower() for s in sections] if sections else None
    blocks: list[Block] = []
    kept: list[str] = []
    keeping = wanted is None
    start_level: int | None = None
    current: str | None = None
    for part in parts:
        if part.heading:
            name = _heading_name(part.text)
            if wanted is not None and any(name.startswith(w) for w in wanted):
                keeping, start_level, current = True, part.level, None
                kept.append(part.text.strip())
                continue
            if keeping and wanted is not None and _ends_section(part, name, start_level):
                keeping = False
                continue
            current = part.text.strip()
            continue
        if keeping and part.text.strip():
            blocks.append(Block(part.text, part.page, part.indented, current))
    if wanted is not None and not kept:
        found = [p.text.strip() for p in parts if p.heading][:12]
        raise InputError(
            f"{file}: no section headed {' or '.join(sections or ())} was found",
            hint="Name the findings headings with --section "
            + (f"(headings found: {'; '.join(found)})" if found else "(no headings found)")
            + ", or use --whole to keep the whole document.",
        )
    return blocks, kept


def _heading_name(text: str) -> str:
    return _NUMBERING.sub("", text).strip().strip("#*:").strip().lower()


def _ends_section(part: _Part, name: str, start_level: int | None) -> bool:
    if part.level is not None and start_level is not None:
        return part.level <= start_level
    return any(name.startswith(s) for s in STOP_SECTIONS)


# -- readers ---------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _looks_like_heading(lines: list[str]) -> bool:
    if len(lines) != 1:
        return False
    line = lines[0].strip()
    if not line or len(line) > 80 or line[-1] in ".,;:?!”\"'’)" or line[0] in "“\"'‘":
        return False
    words = _NUMBERING.sub("", line).split()
    if not words:
        return False
    name = " ".join(words).lower()
    known = any(name.startswith(s) for s in (*DEFAULT_SECTIONS, *STOP_SECTIONS, "method"))
    return known or bool(_NUMBERING.match(line)) or line.isupper() or len(words) <= 10


def _read_text(where: str, data: bytes) -> list[_Part]:
    parts: list[_Part] = []
    for page_no, page in enumerate(_decode(data).split("\f"), start=1):
        page_value = page_no if b"\f" in data else None
        for para in re.split(r"\n\s*\n", page):
            lines = [ln for ln in para.split("\n") if ln.strip()]
            if not lines:
                continue
            if _looks_like_heading(lines) and not lines[0].startswith(("  ", "\t")):
                parts.append(_Part(lines[0].strip(), page_value, heading=True))
                continue
            indented = all(ln.startswith(("  ", "\t")) for ln in lines)
            text = "\n".join(ln.strip() for ln in lines)
            parts.append(_Part(text, page_value, indented=indented))
    return parts


def _read_markdown(where: str, data: bytes) -> list[_Part]:
    parts: list[_Part] = []
    for page_no, page in enumerate(_decode(data).split("\f"), start=1):
        page_value = page_no if b"\f" in data else None
        for para in re.split(r"\n\s*\n", page):
            lines = [ln for ln in para.split("\n") if ln.strip()]
            if not lines:
                continue
            heading = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", lines[0])
            if heading and len(lines) == 1:
                parts.append(_Part(heading.group(2), page_value, True, len(heading.group(1))))
                continue
            quoted = all(ln.lstrip().startswith(">") for ln in lines)
            indented = quoted or all(ln.startswith(("    ", "\t")) for ln in lines)
            text = "\n".join(re.sub(r"^\s*>?\s?", "", ln).strip() for ln in lines)
            text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)  # bold markers are layout
            parts.append(_Part(text, page_value, indented=indented))
    return parts


def _read_docx(where: str, data: bytes) -> list[_Part]:
    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, ValueError, KeyError) as exc:
        raise InputError(f"{where}: not a readable DOCX file ({exc})") from exc
    parts: list[_Part] = []
    page = 1
    for para in document.paragraphs:
        xml = para._p.xml
        breaks = xml.count('w:type="page"') + xml.count("<w:lastRenderedPageBreak")
        page += breaks  # a break inside a paragraph moves all of it to the new page
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        level = re.match(r"Heading (\d)", style)
        if level or style == "Title":
            parts.append(_Part(text, page, True, int(level.group(1)) if level else 0))
            continue
        indent = para.paragraph_format.left_indent
        indented = "Quote" in style or bool(indent and indent > 0)
        parts.append(_Part(text, page, indented=indented))
    return parts


def _read_pdf(where: str, data: bytes) -> list[_Part]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [p.extract_text(extraction_mode="layout") or "" for p in reader.pages]
    except (PdfReadError, ValueError) as exc:
        raise InputError(f"{where}: not a readable PDF ({exc})") from exc
    parts: list[_Part] = []
    for page_no, text in enumerate(pages, start=1):
        parts.extend(_pdf_page(text, page_no))
    return parts


def _pdf_page(text: str, page_no: int) -> list[_Part]:
    """Lines of one page → headings and paragraphs; a blank line or a change of
    indentation (4+ columns beyond the page margin) ends a paragraph."""
    lines = [ln.rstrip() for ln in text.split("\n")]
    margin = min((len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()), default=0)
    parts: list[_Part] = []
    para: list[str] = []
    para_indent = False
    for line in [*lines, ""]:
        stripped = line.strip()
        indent = bool(stripped) and len(line) - len(line.lstrip()) - margin >= 4
        if para and (not stripped or indent != para_indent):
            parts.append(_Part("\n".join(para), page_no, indented=para_indent))
            para = []
        if not stripped:
            continue
        if not para and _looks_like_heading([stripped]) and len(stripped.split()) <= 6:
            parts.append(_Part(stripped, page_no, heading=True))
            continue
        if not para:
            para_indent = indent
        para.append(stripped)
    return parts


_READERS = {"text": _read_text, "markdown": _read_markdown, "docx": _read_docx, "pdf": _read_pdf}
