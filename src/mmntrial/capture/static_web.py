"""The app's own copy of htmx, served by the app: no CDN, since a site may have no internet.

htmx (https://htmx.org, 2.0.4 from the npm registry's ``htmx.org`` package, Zero-Clause
BSD licence beside it in ``static/``) lets a page swap a fragment the server renders
(the MRC sum as grades are typed); every page also works without it. The file is
served from a route, not a ``StaticFiles`` mount: a mount bypasses the app's global
dependency, so the guard and the permission table would never see it, and the route
fuzzer and the permission matrix (built from the route table) would miss it.

The path carries the version, so the answer may be cached for a year: a new release is
a new path. The ETag (a hash of the bytes) lets a browser revalidate cheaply anyway.
"""

from __future__ import annotations

import hashlib
from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.responses import Response

HTMX_VERSION = "2.0.4"
#: Where pages load htmx from (``base.html``).
HTMX_PATH = f"/static/htmx-{HTMX_VERSION}.min.js"
_HTMX = files("mmntrial.capture").joinpath("static", f"htmx-{HTMX_VERSION}.min.js").read_bytes()
_ETAG = f'"{hashlib.sha256(_HTMX).hexdigest()[:32]}"'
#: Behind sign-in, so ``private``: a shared cache between site and server keeps nothing.
CACHE_CONTROL = "private, max-age=31536000, immutable"
JAVASCRIPT = "text/javascript; charset=utf-8"


def add_routes(app: FastAPI) -> None:
    """Add the route serving htmx to ``app``."""

    @app.get(HTMX_PATH, name="static_htmx", include_in_schema=False)
    def htmx(request: Request) -> Response:
        headers = {"Cache-Control": CACHE_CONTROL, "ETag": _ETAG}
        if request.headers.get("if-none-match") == _ETAG:
            return Response(status_code=304, headers=headers)
        return Response(_HTMX, media_type=JAVASCRIPT, headers=headers)
