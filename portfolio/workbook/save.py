"""Saving a workbook so that nothing is ever half-written or written over a user's file open.

The target is checked before any solving (an Excel or LibreOffice lock file beside it, a
folder in its place), then written to a temporary file beside it, given the permissions a
plain new file would get (or the old file's), flushed to disk and renamed into place.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Protocol

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
        raise OutputError(f"{target} is a folder; give a file name instead (ending in .xlsx "
                          "for -o, .json for --json)")
    folder = next((p for p in target.parents if p.exists()), None)
    if folder is not None and not folder.is_dir():
        raise OutputError(f"cannot write {target}: {folder} is a file, not a folder")


class Savable(Protocol):
    """What can be saved by path: an openpyxl workbook, or a document such as the JSON."""

    def save(self, filename: str) -> None:
        """Write the whole file to `filename`."""


def save_atomic(book: Savable, target: Path) -> None:
    """Write to a temporary file beside the target, then rename it into place.

    A crash or a full disk leaves the old file (or none), never a half-written workbook. The
    file ends up with the old file's mode, or for a new file 0o666 less the umask (not the
    0o600 of the temporary file), so colleagues on a shared drive can open it.
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
        _settle(temp, _mode_for(target))
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
    _sync_folder(target.parent)


def _mode_for(target: Path) -> int:
    """The permission bits the saved file should have: the old file's, else a new file's."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process umask, read once per save.

    Linux shows it in /proc, so it is never changed; elsewhere it is set to 0o077 (never
    looser than before, should another thread create a file meanwhile) and restored at once.
    """
    with contextlib.suppress(OSError, ValueError, IndexError), \
            open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(b"Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _settle(temp: str, mode: int) -> None:
    """Give the written temporary file its final mode, then fsync it (data and mode)."""
    handle = os.open(temp, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        # A drive without Unix modes (FAT, some SMB mounts) may refuse: keep what it gives.
        with contextlib.suppress(OSError):
            os.chmod(handle if os.chmod in os.supports_fd else temp, mode)
        os.fsync(handle)
    finally:
        os.close(handle)


def _sync_folder(folder: Path) -> None:
    """Fsync the folder so that the rename itself survives a crash.

    Only where the platform lets a folder be opened (not Windows); ignored where it refuses,
    since the file is already whole and in place either way.
    """
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    return (exc.strerror or str(exc)).lower()
