"""The one place that writes outputs: atomically, and never over something that is not an ordinary output file.

A write goes to a temporary file beside the target, is flushed to disk, then renamed over the target (or, for
"create, never replace", hard-linked to the target name, which fails if the name exists). The temporary file is
removed on any exception, Ctrl-C included. Before anything is written (and before a long computation, through
:func:`check_output`), the target is refused with one line if it is a folder, a symbolic link, a FIFO, a device or
any other non-regular file, one of the command's own input files (see :func:`decision.safeio.inputs_read`), or sits
under a file or in a folder that cannot be written.
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .errors import DecisionError

CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""Cells starting with these run as formulas in spreadsheets (OWASP "CSV injection"); they get a leading quote."""


def _kind(mode: int) -> str:
    from .safeio import _kind as kind  # noqa: PLC0415
    return kind(mode)


def check_output(path: str | Path, protect: Iterable[tuple[int, int]] = ()) -> Path:
    """Refuse (one-line :class:`DecisionError`) an output path that must not be written; return it as a Path.

    ``protect``: (device, inode) pairs of files the command reads (an output never replaces one of them).
    """
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        st = None
    except OSError as exc:
        raise DecisionError(f"cannot write {path}: {exc.strerror or exc}") from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise DecisionError(f"cannot write {path}: it is a symbolic link; give the path of a regular file")
        if not stat.S_ISREG(st.st_mode):
            raise DecisionError(f"cannot write {path}: it is {_kind(st.st_mode)}, not a regular file")
        if (st.st_dev, st.st_ino) in set(protect):
            raise DecisionError(f"cannot write {path}: it is an input of this command; choose another output file")
    # the nearest existing ancestor must be a folder we may write in
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        if parent.is_symlink():          # a dangling link in the way
            break
        parent = parent.parent
    if parent.exists() and not parent.is_dir():
        raise DecisionError(f"cannot write {path}: {parent} is a file, not a folder")
    if parent.is_dir() and not os.access(parent, os.W_OK | os.X_OK):
        raise DecisionError(f"cannot write {path}: the folder {parent} is not writable (read-only or no "
                            "permission)")
    return path


def atomic_write_text(path: str | Path, text: str, *, protect: Iterable[tuple[int, int]] = (),
                      replace: bool = True) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` with :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"), protect=protect, replace=replace)


def atomic_write_bytes(path: str | Path, data: bytes, *, protect: Iterable[tuple[int, int]] = (),
                       replace: bool = True) -> Path:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never a partial one.

    The temporary file is created by :func:`tempfile.mkstemp` in the target's folder (``O_EXCL``, a fresh random
    name: never an existing file, link or FIFO). ``replace=False`` creates the file only if the name is free,
    atomically (two concurrent writers: exactly one wins; the other gets a DecisionError). ``protect``: see
    :func:`check_output`.
    """
    protect = frozenset(protect)
    path = check_output(path, protect)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DecisionError(f"cannot create the folder {path.parent}: {exc.strerror or exc}") from None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:100]}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise DecisionError(f"cannot write in {path.parent}: {exc.strerror or exc}") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)          # mkstemp creates 0600; give the file the usual permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if replace:
            check_output(path, protect)        # again, just before the rename (the target may have changed)
            os.replace(tmp, path)
        else:
            _create(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, FileExistsError):
            raise DecisionError(f"{path} already exists; choose another name or allow overwriting") from None
        raise DecisionError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _create(tmp: str, path: Path) -> None:
    """Give the finished temporary file the name ``path`` only if that name is free (atomic), then drop ``tmp``."""
    try:
        os.link(tmp, path)                     # fails with FileExistsError if the name exists
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV) or \
                isinstance(exc, FileExistsError):
            raise
        # a file system without hard links: O_EXCL still guarantees a single winner
        with open(path, "xb") as out, open(tmp, "rb") as src:
            out.write(src.read())
    finally:
        Path(tmp).unlink(missing_ok=True)


def remove_tree(path: str | Path, attempts: int = 40) -> None:
    """Remove a temporary folder even while a child process that was just stopped (a kernel, a browser) is still
    exiting and writing into it: a single rmtree can lose that race and leave the folder behind."""
    import shutil  # noqa: PLC0415
    import time  # noqa: PLC0415
    for _ in range(attempts):
        shutil.rmtree(path, ignore_errors=True)
        if not Path(path).exists():
            return
        time.sleep(0.05)


def neutralise_csv_cell(value):
    """A text cell a spreadsheet would run as a formula gets a leading single quote (OWASP CSV injection rule)."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_START):
        return "'" + value
    return value


def neutralise_csv(df):
    """A copy of DataFrame ``df`` whose text cells (and column and index labels) cannot run as spreadsheet
    formulas."""
    from pandas.api.types import is_numeric_dtype  # noqa: PLC0415
    out = df.copy()
    for col in out.columns:
        if not is_numeric_dtype(out[col]):
            out[col] = out[col].map(neutralise_csv_cell)
    out.columns = [neutralise_csv_cell(c) for c in out.columns]
    if not is_numeric_dtype(out.index):
        out.index = out.index.map(neutralise_csv_cell)
    return out
