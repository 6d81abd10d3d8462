"""A minimal PDF of plain text lines (A4, Helvetica), written without a dependency.

Enough for a subject access export a data protection officer prints or reads: each line is set as
it is, lines too long for the page are wrapped at spaces, and a new page starts when one is full.
Text is encoded as Windows-1252 (the standard fonts' encoding); a character outside it is shown as
``?`` (the CSV export keeps every character exactly).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 50
FONT_SIZE = 9
LEADING = 12
WRAP = 100  # characters per line at this size (Helvetica averages about half an em)
LINES_PER_PAGE = (PAGE_HEIGHT - 2 * MARGIN) // LEADING


def wrap(lines: Iterable[str]) -> list[str]:
    """Each line wrapped to the page's width (blank lines kept)."""
    result: list[str] = []
    for line in lines:
        pieces = textwrap.wrap(line, WRAP, subsequent_indent="    ", break_long_words=True) if line else [""]
        result.extend(pieces or [""])
    return result


def _escape(text: str) -> bytes:
    data = text.encode("cp1252", errors="replace")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)").replace(b"\r", b" ")


def _page_stream(lines: Sequence[str], number: int, pages: int) -> bytes:
    top = PAGE_HEIGHT - MARGIN
    parts = [f"BT /F1 {FONT_SIZE} Tf {LEADING} TL {MARGIN} {top} Td".encode()]
    for line in lines:
        parts.append(b"(" + _escape(line) + b") Tj T*")
    parts.append(f"ET BT /F1 8 Tf {MARGIN} {MARGIN // 2} Td".encode())
    parts.append(b"(" + _escape(f"Page {number} of {pages}") + b") Tj ET")
    return b"\n".join(parts)


def text_pdf(lines: Iterable[str], title: str = "") -> bytes:
    """A PDF document showing ``lines``; ``title`` goes in its properties."""
    wrapped = wrap(lines)
    chunks = [wrapped[i : i + LINES_PER_PAGE] for i in range(0, len(wrapped), LINES_PER_PAGE)] or [[]]
    objects: list[bytes] = [b"", b""]  # 1: catalog, 2: pages (filled in once the pages are known)
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    objects.append(b"<< /Title (" + _escape(title) + b") /Producer (hsb-sheets) >>")
    kids = []
    for number, chunk in enumerate(chunks, start=1):
        stream = _page_stream(chunk, number, len(chunks))
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents %d 0 R >>" % (PAGE_WIDTH, PAGE_HEIGHT, content)
        )
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    return _assemble(objects)


def _assemble(objects: Sequence[bytes]) -> bytes:
    """The file: header, numbered objects, cross-reference table and trailer (object 4: the info)."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
