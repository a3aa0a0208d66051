"""Reading what a PDF says, without a PDF library: the text comes from WeasyPrint's own
rendered document, the links from the PDF file's (deflated) streams."""

import re
import zlib


def document_text(document) -> str:
    """Every piece of text laid out on the document's pages, in order."""
    parts = []
    for page in document.pages:
        for box in page._page_box.descendants():
            text = getattr(box, "text", None)
            if text:
                parts.append(text)
    return " ".join(" ".join(parts).split())


def pdf_streams(pdf: bytes) -> bytes:
    """The PDF's streams, inflated (object streams hold the link annotations)."""
    out = []
    # A stream's data may itself end in "\r": taken up to "\nendstream" and inflated by a
    # decompressobj, which leaves bytes after the deflated data aside (zlib.decompress
    # refused a stream cut one byte short, about one PDF in 256).
    for match in re.finditer(rb"stream\r?\n(.*?)\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompressobj().decompress(match.group(1)))
        except zlib.error:
            out.append(match.group(1))
    return b"\n".join(out)


def link_targets(pdf: bytes) -> list[str]:
    """The URLs the PDF links to (its /URI actions)."""
    return [uri.decode() for uri in re.findall(rb"/URI \(([^)]*)\)", pdf_streams(pdf) + pdf)]
