"""Hostile inputs too big to commit, or that git cannot hold, built at test time.

Huge lines and blank-line runs (quadratic parsing), a zip bomb dressed as XLSX, a CSV
with a million columns, a field past the size limit, and filesystem oddities: a FIFO
(opening it would block for ever), a directory, /dev/zero (never ends) and a symlink loop.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from fuzz_harness import Case
from make_corpus import XLSX_ROWS, sheet, xlsx


def _zip_bomb(uncompressed: int) -> bytes:
    """An XLSX whose sheet inflates to ``uncompressed`` bytes of blanks inside <sheetData>."""
    good = zipfile.ZipFile(io.BytesIO(xlsx(sheet(XLSX_ROWS))))
    head, tail = sheet(XLSX_ROWS).split("</sheetData>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in good.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info, good.read(info))
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with out.open(info, "w", force_zip64=True) as fh:
            fh.write(head.encode())
            chunk = b" " * (1 << 20)
            for _ in range(uncompressed >> 20):
                fh.write(chunk)
            fh.write(("</sheetData>" + tail).encode())
    return buf.getvalue()


def generated_cases(tmp: Path) -> list[Case]:
    """Write the test-time inputs under ``tmp``; returns them as cases."""
    cases: list[Case] = []

    def add(name: str, data: bytes | None, mutation: str, fmt: str, **kw: object) -> Path:
        path = tmp / name
        if data is not None:
            path.write_bytes(data)
        cases.append(Case(name=f"generated/{name}", path=path, mutation=mutation, format=fmt,
                          **kw))  # type: ignore[arg-type]  # fmt: skip
        return path

    add("spaces-200000.ris", b"TY  - JOUR\nTI  - Spaces" + b" " * 200_000 + b"\nER  - \n",
        "huge-whitespace", "ris")  # fmt: skip
    add("blank-lines-200000.bib", b"@article{a,\n  title = {Blank}," + b"\n" * 200_000 + b"}\n",
        "huge-whitespace", "bibtex")  # fmt: skip
    add("huge-title.ris", b"TY  - JOUR\nTI  - " + b"x" * 2_000_000 + b"\nER  - \n",
        "huge-line", "ris")  # fmt: skip
    add("deep-50000.xml", (
        "<xml><records><record><titles><title>" + "<style>" * 50_000 + "x"
        + "</style>" * 50_000 + "</title></titles></record></records></xml>\n").encode(),
        "xml-nesting", "endnote-xml")  # fmt: skip
    add("million-columns.csv", ("Title," + ",".join(f"c{i}" for i in range(1_000_000)) + "\n"
        + "A title" + "," * 1_000_000 + "\n").encode(), "huge-columns", "csv")  # fmt: skip
    add("zip-bomb.xlsx", _zip_bomb(128 << 20), "zip-bomb", "xlsx")
    fifo = add("fifo.ris", None, "fs-fifo", "ris")
    os.mkfifo(fifo)
    folder = add("folder.ris", None, "fs-directory", "ris")
    folder.mkdir()
    cases.append(Case("generated/dev-zero", Path("/dev/zero"), "fs-dev-zero", "ris",
                      format_override="ris"))  # fmt: skip
    loop = add("loop.ris", None, "fs-symlink-loop", "ris")
    loop.symlink_to(tmp / "loop2.ris")
    (tmp / "loop2.ris").symlink_to(loop)
    return cases
