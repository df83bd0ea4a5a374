"""Labels from files (arm labels of a protocol, a sweep's axis values) drawn as plain text.

Matplotlib reads a text with two dollar signs as mathematical TeX: an arm label such as
``MMF $1 g$`` would be set in italics, and ``$\\alpha\\foo$`` would stop the report with a
parse error after the whole analysis has run. A label typed by a person is text, never
markup, so every figure passes it through :func:`plain_label`, which escapes each dollar
sign: matplotlib draws ``\\$`` as ``$`` (and so does LaTeX, should a user's matplotlibrc
turn ``text.usetex`` on).
"""

from __future__ import annotations


def plain_label(text: str) -> str:
    """``text`` as matplotlib draws it literally.

    >>> plain_label("MMF $1 g$ + IVIg")
    'MMF \\\\$1 g\\\\$ + IVIg'
    """
    return text.replace("$", r"\$")


__all__ = ["plain_label"]
