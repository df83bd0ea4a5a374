"""The PDF copy of the report, through WeasyPrint when it and its system libraries are there.

WeasyPrint is imported only when a PDF is asked for: it loads Pango through ``cffi``
at import time, and a machine without ``libpango-1.0-0`` / ``libpangoft2-1.0-0``
(installed by ``scripts/system-deps``) raises ``OSError`` there. That, a missing
package, or a failure while laying out the page becomes a reason in words, which the
HTML report prints as "PDF not written: <reason>"; the HTML report never fails because
of the PDF.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from mmntrial.atomic import replacing_file

INSTALL_HINT = "run `sudo bash scripts/system-deps` for Pango, then `uv sync` for weasyprint"


@dataclass(frozen=True)
class PdfOutcome:
    """Where the PDF was written, or why it was not (exactly one of the two is set)."""

    path: Path | None
    reason: str | None

    @property
    def written(self) -> bool:
        """Whether a PDF file was written."""
        return self.path is not None


def _weasyprint() -> tuple[ModuleType | None, str | None]:
    try:
        import weasyprint
    except ImportError as error:
        return None, f"the weasyprint package is not installed ({error}); {INSTALL_HINT}"
    except OSError as error:
        # cffi raises OSError when a shared library (Pango, GObject, HarfBuzz) is missing.
        return None, f"WeasyPrint cannot load its system libraries ({error}); {INSTALL_HINT}"
    return weasyprint, None


def pdf_unavailable_reason() -> str | None:
    """Why no PDF can be written on this machine, or None when WeasyPrint works."""
    return _weasyprint()[1]


def render_pdf(html: str, *, base_url: Path | None = None) -> tuple[bytes | None, str | None]:
    """``html`` as PDF bytes, or None and the reason in words (exactly one is set).

    ``base_url`` resolves relative links. For a PDF served rather than written (the
    capture app's expedited SAE report); :func:`write_pdf` writes one to a file.
    """
    module, reason = _weasyprint()
    if module is None:
        return None, reason
    # WeasyPrint logs every CSS property it does not support; those are not our user's
    # concern, so its loggers are quieted below ERROR for the duration of the call.
    loggers = [logging.getLogger(name) for name in ("weasyprint", "fontTools")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        document = module.HTML(string=html, base_url=str(base_url) if base_url else None)
        data: bytes = document.write_pdf()
    except (OSError, ValueError, RuntimeError, AttributeError, TypeError) as error:
        # WeasyPrint has no exception root of its own; these are what its layout,
        # font and file code raise.
        return None, f"WeasyPrint failed: {type(error).__name__}: {error}"
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
    return data, None


def write_pdf(html: str, path: Path, *, base_url: Path | None = None) -> PdfOutcome:
    """Render ``html`` to a PDF at ``path``; a failure is returned as a reason, not raised.

    ``base_url`` resolves relative links (the report has none: everything is inline).
    The file is written atomically: a failure leaves the old PDF (if any) as it was.
    The HTML report goes on without a PDF when it fails.
    """
    data, reason = render_pdf(html, base_url=base_url)
    if data is None:
        return PdfOutcome(None, reason)
    # Rendered in memory, then written atomically: never a 0-byte or truncated PDF.
    with replacing_file(path) as temporary:
        temporary.write_bytes(data)
    return PdfOutcome(path, None)
