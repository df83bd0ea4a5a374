"""What the route modules of the capture app share: the page renderer's type, a posted
form's fields, a JSON body read as a form's fields, and the API's answer to a user
error."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse

from mmntrial.capture.assessments import Unconfirmed
from mmntrial.capture.eligibility import NotFound
from mmntrial.capture.guard import CSRF_FIELD
from mmntrial.capture.lockstate import RecordLocked
from mmntrial.capture.screening import StateConflict
from mmntrial.errors import CaptureError

Page = Callable[[Request, str, dict[str, Any], int], HTMLResponse]
"""Renders a template with the session's CSRF token and user (``mmntrial.capture.web``)."""


@contextmanager
def api_errors(field: str) -> Iterator[None]:
    """An API route's user errors as 4xx answers whose ``detail`` names the field: an
    unknown subject is a 404, a value awaiting confirmation or a refused one a 422
    (``field`` names the error that names none itself), and a request the record's
    state refuses (:class:`StateConflict`, a change of a locked record) a 409."""
    try:
        yield
    except NotFound as missing:
        # The record or item its message names, else the participant (the usual one).
        named = [{"field": field_of(missing, "subject"), "message": str(missing)}]
        raise HTTPException(404, named) from None
    except Unconfirmed as waiting:
        detail = [
            {"field": v.field, "message": v.message, "needs_confirmation": True}
            for v in waiting.verdicts
        ]
        raise HTTPException(422, detail) from None
    except (StateConflict, RecordLocked) as conflict:
        raise HTTPException(409, [{"field": conflict.field, "message": str(conflict)}]) from None
    except CaptureError as error:
        raise HTTPException(
            422, [{"field": field_of(error, field), "message": str(error)}]
        ) from None


_NAMED = re.compile(r"([\w.\[\]/-]+): got ")


def field_of(error: CaptureError, default: str) -> str:
    """The field a user error names: its ``field``, else the ``NAME: got`` its message
    starts with (every message names field, value and what was expected), else ``default``.

    >>> field_of(CaptureError("reason: got '', expected why"), "body")
    'reason'
    """
    named = getattr(error, "field", None)
    if isinstance(named, str):
        return named
    found = _NAMED.match(str(error))
    return found.group(1) if found else default


async def form_fields(request: Request) -> dict[str, str]:
    """A posted form's fields as typed (text), without its CSRF token (the guard checked it
    before the route ran; a form's record never holds it)."""
    return {k: str(v) for k, v in (await request.form()).items() if k != CSRF_FIELD}


async def json_body(request: Request) -> dict[str, str]:
    """The request's JSON object as the form's fields (values as text), or a 422."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in body.values()
    ):
        raise HTTPException(
            422,
            [
                {
                    "field": "body",
                    "message": f"body: got {body!r:.200}, expected an object of "
                    "field names to values as typed (text or numbers)",
                }
            ],
        )
    return {str(k): str(v) for k, v in body.items()}
