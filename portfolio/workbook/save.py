"""Saving a workbook so that nothing is ever half-written or written over a user's file open.

The target is checked before any solving (an Excel or LibreOffice lock file beside it, a
folder in its place), then written to a temporary file beside it and renamed into place.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from openpyxl import Workbook

from portfolio.errors import OutputError


def lock_file(target: Path) -> Path | None:
    """The lock file Excel or LibreOffice keeps beside a workbook it has open, if any."""
    name = target.name
    for candidate in (f"~${name}", f"~${name[2:]}", f".~lock.{name}#"):
        lock = target.with_name(candidate)
        if len(candidate) > 2 and lock.exists():
            return lock
    return None


def check_writable(target: Path) -> None:
    """Refuse early, before any solving, an output that is open in a spreadsheet program."""
    lock = lock_file(target)
    if lock is not None:
        raise OutputError(f"{target} is open in Excel or LibreOffice (its lock file {lock.name} "
                          "is there); close it and run again, or choose another -o path")
    if target.is_dir():
        raise OutputError(f"{target} is a folder; give -o a file name ending in .xlsx")
    folder = next((p for p in target.parents if p.exists()), None)
    if folder is not None and not folder.is_dir():
        raise OutputError(f"cannot write {target}: {folder} is a file, not a folder")


def save_atomic(book: Workbook, target: Path) -> None:
    """Write to a temporary file beside the target, then rename it into place.

    A crash or a full disk leaves the old file (or none), never a half-written workbook.
    """
    check_writable(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".xlsx.tmp",
                                        dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write into {target.parent}: {_reason(exc)}") from None
    os.close(handle)
    try:
        book.save(temp)
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        kept = "it was left as it was" if target.exists() else "nothing was written"
        if isinstance(exc, PermissionError):
            raise OutputError(f"cannot replace {target}: permission denied (is it open in Excel "
                              f"or read-only?); {kept}") from None
        raise OutputError(f"cannot write {target}: {_reason(exc)}; {kept}") from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    return (exc.strerror or str(exc)).lower()
