"""Write a file or a folder so that a crash leaves the old or the new, never half.

Every output of mmntrial (a Parquet file, a list file, a dataset, a report folder, a
sweep folder) is written here, the same way:

1. into a fresh temporary beside its target (same folder, so the final rename stays on
   one file system), named ``.<target>.<pid>-<random>.mmntrial-tmp``;
2. flushed to the disk (``fsync`` of every file and folder written);
3. renamed over the target in one step, and the folder holding it synced, so that the
   rename itself survives a power cut.

A folder is replaced as a unit: on Linux by exchanging the staging folder with the old
one in a single ``renameat2(RENAME_EXCHANGE)``; elsewhere the old folder is first
renamed aside (``.<target>.<pid>-<random>.mmntrial-old``) and the new one put in its place.

A write that fails removes its temporary and leaves the old target as it was. A write
that is killed (``kill -9``, power cut) leaves its temporary behind; the next write to
the same target removes those of dead processes, and puts an old folder left aside back
if the kill came between the two renames. Temporaries of live processes are left alone,
so two writers never remove each other's work. Readers never see a temporary: they are
hidden files beside the target, never inside a dataset or report folder.

Output paths are checked before any computing (:func:`check_output_file`,
:func:`check_output_folder`): the folder that holds the output must exist and be
writable, a file must not be a folder and the reverse, and a folder is replaced whole
only when it holds nothing but what the writer itself makes.

Test hook: with ``MMNTRIAL_TEST_PAUSE=STAGE:NAME:SIGNAL`` in the environment, the write
of a target called ``NAME`` stops at ``STAGE`` (``begin``: the temporary exists and is
empty; ``commit``: the new output is complete on disk, the old still in place), creates
the file ``SIGNAL`` and waits to be killed. The kill tests use it to kill a real command
at a known point instead of racing it; without the variable nothing waits.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import re
import secrets
import shutil
import time
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from mmntrial.errors import OutputError

PAUSE_ENV = "MMNTRIAL_TEST_PAUSE"
# What the kernel does with a new file's mode: the user's umask applies, as for any file.
_FILE_MODE = 0o666
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{8}\.mmntrial-(?P<kind>tmp|old)$")
# renameat2(2): AT_FDCWD and RENAME_EXCHANGE from <fcntl.h> and <linux/fs.h>.
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _beside(target: Path, kind: str) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.mmntrial-{kind}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive, not ours to judge
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_leftovers(target: str | Path) -> list[Path]:
    """Remove what killed writes of ``target`` left beside it; return what was removed.

    A folder set aside by a write killed between its two renames is put back when the
    target is missing (the old output is whole, the new one was not yet in place).
    Leftovers of live processes are kept: their writes are still running.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     debris = pathlib.Path(tmp) / ".out.csv.999999999-0123abcd.mmntrial-tmp"
    ...     _ = debris.write_text("half a tab")
    ...     [p.name for p in remove_leftovers(pathlib.Path(tmp) / "out.csv")]
    ['.out.csv.999999999-0123abcd.mmntrial-tmp']
    """
    target = Path(target)
    removed: list[Path] = []
    try:
        entries = sorted(target.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        found = _LEFTOVER.match(entry.name)
        if found is None or found["name"] != target.name or _alive(int(found["pid"])):
            continue
        if found["kind"] == "old" and not os.path.lexists(target):
            os.rename(entry, target)
            _sync_folder(target.parent)
            continue
        _remove(entry)
        removed.append(entry)
    return removed


def _sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_folder(path: Path) -> None:
    # A folder's entries (a rename, a new file) reach the disk only when the folder
    # itself is synced; some platforms refuse to open a folder, and then nothing can be.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _sync_tree(folder: Path) -> None:
    for root, _, names in os.walk(folder, topdown=False):
        for name in names:
            _sync_file(Path(root, name))
        _sync_folder(Path(root))


def _pause_point(stage: str, target: Path) -> None:
    """The test hook described in the module docstring; a no-op without the variable."""
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted:
        return
    want_stage, want_name, signal = [*wanted.split(":", 2), "", ""][:3]
    if (want_stage, want_name) != (stage, target.name) or not signal:
        return
    Path(signal).write_text(f"{os.getpid()}\n", encoding="utf-8")
    while True:
        time.sleep(1)


@functools.cache
def _renameat2() -> Any:
    try:
        return getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    except OSError:
        return None


def _exchange(new: Path, old: Path) -> bool:
    """Swap two paths in one step; False where the system or file system cannot."""
    call = _renameat2()
    if call is None:
        return False
    status = call(
        _AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(old), ctypes.c_uint(_RENAME_EXCHANGE)
    )
    if status == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(old))


def _swap_in(staging: Path, target: Path) -> None:
    if not os.path.lexists(target):
        os.rename(staging, target)
    elif _exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)  # the old folder, now under the temporary name
    else:
        # No exchange here: the old folder goes aside first, so a failure of the second
        # rename can put it back, and a kill between the two is repaired by the next write.
        aside = _beside(target, "old")
        os.rename(target, aside)
        try:
            os.rename(staging, target)
        except BaseException:
            os.rename(aside, target)
            raise
        shutil.rmtree(aside, ignore_errors=True)
    _sync_folder(target.parent)


def _raise_unwritten(target: Path, error: BaseException) -> None:
    """A disk full or a permission lost mid-write is the user's to fix: say so, no traceback."""
    if isinstance(error, OSError):
        raise OutputError(
            f"{str(target)!r}: cannot be written ({error.strerror or error}); expected room "
            "and permission to write beside it; the old output there was left as it was"
        ) from error


def _failed(option: str, path: Path, expected: str, why: str) -> OutputError:
    return OutputError(f"{option}: got {str(path)!r}, expected {expected}; {why}")


def _check_parent(path: Path, option: str, expected: str) -> None:
    parent = path.parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise _failed(option, path, expected, f"{str(parent)!r} {what}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _failed(option, path, expected, f"the folder {str(parent)!r} is not writable")


def check_output_file(path: str | Path, option: str, *, suffix: str | None = None) -> Path:
    """Check that ``path`` can take a new file (an existing file is replaced); return it.

    ``option`` names the option or argument in the message; ``suffix`` is the file
    ending expected (``.parquet``).

    >>> check_output_file("/nonexistent/x.parquet", "--out", suffix=".parquet")
    Traceback (most recent call last):
    ...
    mmntrial.errors.OutputError: --out: got '/nonexistent/x.parquet', expected a .parquet file...
    """
    path = Path(path)
    kind = f"a {suffix} file" if suffix else "a file"
    expected = f"{kind} in an existing folder"
    if suffix is not None and path.suffix != suffix:
        raise _failed(option, path, expected, f"the name does not end in {suffix}")
    if path.is_dir():
        raise _failed(option, path, expected, "it is a folder")
    if path.exists() and not path.is_file():
        raise _failed(option, path, expected, "it exists and is not a regular file")
    _check_parent(path, option, expected)
    return path


def check_output_folder(path: str | Path, option: str, *, owned: Collection[str]) -> Path:
    """Check that ``path`` can be replaced by a new output folder; return it.

    The folder may be new, empty, or hold only names in ``owned`` (what the writer itself
    makes): anything else would be lost when the folder is replaced whole, so it is refused.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (pathlib.Path(tmp) / "notes.txt").write_text("mine")
    ...     check_output_folder(tmp, "--out", owned={"report.html"})
    Traceback (most recent call last):
    ...
    mmntrial.errors.OutputError: --out: got '...', expected ...; it also holds notes.txt
    """
    path = Path(path)
    names = ", ".join(sorted(owned))
    expected = f"a new folder, an empty one or one that holds only {names}"
    if path.exists() and not path.is_dir():
        raise _failed(option, path, expected, "it exists and is not a folder")
    _check_parent(path, option, expected)
    if path.is_dir():
        try:
            strangers = _strangers(path, owned)
        except OSError as error:
            raise _failed(option, path, expected, f"it cannot be read ({error.strerror})") from None
        if strangers:
            raise _failed(option, path, expected, f"it also holds {strangers}")
    return path


def _strangers(folder: Path, owned: Collection[str]) -> str:
    """The names in ``folder`` that its writer does not make, for a message ('' if none)."""
    if not folder.is_dir():
        return ""
    others = sorted(entry.name for entry in folder.iterdir() if entry.name not in owned)
    return ", ".join(others[:5]) + (f" and {len(others) - 5} more" if others[5:] else "")


def _check_owned(target: Path, owned: Collection[str] | None) -> None:
    strangers = "" if owned is None else _strangers(target, owned)
    if strangers:
        names = ", ".join(sorted(owned or ())) or "nothing"
        raise OutputError(
            f"{str(target)!r}: got a folder that also holds {strangers}, expected one that "
            f"holds only {names}; it was not replaced, so nothing in it was lost"
        )


@contextlib.contextmanager
def replacing_file(target: str | Path, *, mode: int = _FILE_MODE) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; when the block ends, it becomes ``target``.

    Write the new content to the yielded path (by any library that takes a path). If the
    block raises, the temporary is removed and ``target`` is untouched. ``mode`` is the
    new file's permission bits before the umask (``0o600`` for secrets).

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = pathlib.Path(tmp) / "out.txt"
    ...     with replacing_file(target) as temporary:
    ...         _ = temporary.write_text("new")
    ...     target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('new', ['out.txt'])
    """
    target = Path(target)
    if target.is_dir():
        raise OutputError(f"{str(target)!r}: is a folder; expected a file name")
    remove_leftovers(target)
    temporary = _beside(target, "tmp")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
    try:
        _pause_point("begin", target)
        yield temporary
        _sync_file(temporary)
        _pause_point("commit", target)
        os.replace(temporary, target)
        _sync_folder(target.parent)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        _raise_unwritten(target, error)
        raise


@contextlib.contextmanager
def replacing_folder(target: str | Path, *, owned: Collection[str] | None = None) -> Iterator[Path]:
    """Yield an empty staging folder beside ``target``; when the block ends, it replaces it.

    The old folder (if any) is replaced whole: nothing of it remains beside the new
    files. If the block raises, the staging folder is removed and ``target`` is untouched.
    With ``owned`` (the names the writer makes), an old folder holding anything else is
    refused, at the start and again just before the swap: a file put there while the new
    output was being made is not deleted with the old output.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = pathlib.Path(tmp) / "report"
    ...     with replacing_folder(target) as staging:
    ...         _ = (staging / "a.html").write_text("<p>new</p>")
    ...     sorted(p.name for p in target.iterdir())
    ['a.html']
    """
    target = Path(target)
    if os.path.lexists(target) and not target.is_dir():
        raise OutputError(f"{str(target)!r}: exists and is not a folder; expected a folder name")
    _check_owned(target, owned)
    remove_leftovers(target)
    staging = _beside(target, "tmp")
    staging.mkdir()
    try:
        _pause_point("begin", target)
        yield staging
        _sync_tree(staging)
        _pause_point("commit", target)
        _check_owned(target, owned)
        _swap_in(staging, target)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        _raise_unwritten(target, error)
        raise


def write_text(target: str | Path, text: str, *, mode: int = _FILE_MODE) -> Path:
    """Write ``text`` (UTF-8) to ``target`` atomically (see :func:`replacing_file`); return it.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_text(pathlib.Path(tmp) / "a.txt", "one").read_text()
    'one'
    """
    target = Path(target)
    with replacing_file(target, mode=mode) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return target


__all__ = [
    "PAUSE_ENV",
    "check_output_file",
    "check_output_folder",
    "remove_leftovers",
    "replacing_file",
    "replacing_folder",
    "write_text",
]
