"""Write the binary fixtures (findings.pdf, findings.docx); run once, results committed.

The PDF is written by hand (no PDF writer is a dependency): one Helvetica text object per
line, so pypdf's layout extraction sees the same lines and indentation a reader sees.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent

PAGES = [
    [
        (72, "Methods"),
        (72, "We interviewed twelve patients of the Deep End practices."),
        (72, ""),
        (72, "Results"),
        (72, "Patients valued having control over which goals were set."),
        (72, "Link workers helped them voice their priorities."),
    ],
    [
        (72, "Motivation rose when goals felt attainable."),
        (72, ""),
        (130, "\\(P5\\) I decided what to work on, not the doctor."),
        (72, ""),
        (72, "Discussion"),
        (72, "This section is not coded."),
    ],
]


def write_pdf(path: Path) -> None:
    objects: list[bytes] = []
    kids = []
    font_id = 3
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(b"")  # pages, filled below
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for lines in PAGES:
        ops = ["BT /F1 11 Tf"]
        y = 740
        for x, text in lines:
            if text:
                ops.append(f"1 0 0 1 {x} {y} Tm ({text}) Tj")
            y -= 16
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_id = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (content_id, font_id)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))


def write_docx(path: Path) -> None:
    import docx
    from docx.enum.text import WD_BREAK
    from docx.shared import Inches

    doc = docx.Document()
    doc.add_heading("Arts on prescription", level=1)
    doc.add_heading("Method", level=2)
    doc.add_paragraph("Sixteen participants were interviewed.")
    doc.add_heading("Findings", level=2)
    doc.add_heading("A holistic view", level=3)
    doc.add_paragraph("Participants felt understood as whole people. It brought hope.")
    quote = doc.add_paragraph("It gave me a reason to get up in the morning. (Participant 4)")
    quote.paragraph_format.left_indent = Inches(0.5)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph("Confidence grew over the weeks of the course.")
    doc.add_heading("Discussion", level=2)
    doc.add_paragraph("Not coded.")
    doc.save(str(path))


if __name__ == "__main__":
    write_pdf(HERE / "findings.pdf")
    write_docx(HERE / "findings.docx")
