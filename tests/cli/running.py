"""Run the command line in this process as ``mmntrial`` would: exit code and all output."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from unittest import mock

from mmntrial.cli.app import main


def run_main(args: Sequence[str]) -> tuple[int, str]:
    """The exit code of ``mmntrial ARGS`` and its stdout and stderr, blanks collapsed.

    Wide columns, so that no checked phrase is wrapped across lines by Rich.
    """
    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    with (
        mock.patch.dict(os.environ, {"COLUMNS": "400", "TERMINAL_WIDTH": "400"}),
        redirect_stdout(out),
        redirect_stderr(err),
    ):
        try:
            main(list(args))
        except SystemExit as done:
            code = done.code
    assert isinstance(code, int | None), code
    return code or 0, " ".join((out.getvalue() + err.getvalue()).split())
