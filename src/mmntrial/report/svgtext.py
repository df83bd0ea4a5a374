"""SVG text made safe to inline in an HTML page beside other SVGs.

A matplotlib SVG is a standalone document: an XML declaration, a DOCTYPE pointing at
the W3C DTD, an RDF metadata block, and element ids (``figure_1``, ``axes_1``, clip
paths, markers) that repeat from one figure to the next. Inlined side by side in one
HTML page, repeated ids make ``url(#...)`` and ``href="#..."`` references resolve to
the first figure's element, so each figure's ids get its own prefix here.
"""

from __future__ import annotations

import re

_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_ID = re.compile(r'\bid="([^"]+)"')


def inline_svg(svg: str, prefix: str) -> str:
    """The ``<svg>`` element alone, metadata dropped and every id prefixed with ``prefix``.

    >>> text = '<?xml version="1.0"?><svg><defs><path id="m1"/></defs><use href="#m1"/></svg>'
    >>> inline_svg(text, "km")
    '<svg><defs><path id="km-m1"/></defs><use href="#km-m1"/></svg>'
    """
    body = _PROLOGUE.sub("", svg, count=1)
    body = _METADATA.sub("", body)
    ids = set(_ID.findall(body))
    if not ids:
        return body.strip()

    def rename(match: re.Match[str]) -> str:
        return f"{prefix}-{match.group(1)}" if match.group(1) in ids else match.group(0)

    # Only names that are ids of this SVG are rewritten, in the three places a
    # reference can stand: the id itself, url(#id) and (xlink:)href="#id".
    body = re.sub(r'(?<=\bid=")([^"]+)(?=")', rename, body)
    body = re.sub(r"(?<=url\(#)([^)]+)(?=\))", rename, body)
    body = re.sub(r'(?<=href="#)([^"]+)(?=")', rename, body)
    return body.strip()


__all__ = ["inline_svg"]
