"""File output that is never half-written: write a temporary sibling, then rename it into place."""

from __future__ import annotations

import os
import stat
import tempfile
import threading
from pathlib import Path

_umask_lock = threading.Lock()


class OutputPathError(ValueError):
    """An output path that cannot be written: a folder where a file must go, or the other way round."""


def current_umask() -> int:
    """The process's umask (read from /proc on Linux; elsewhere set and restored under a lock)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def check_output_file(path: str | Path) -> None:
    """Raise OutputPathError unless `path` can become a file (it is one already, or nothing is there)."""
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"{path} is a folder: give a file name")
    _check_parents(path)


def check_output_folder(path: str | Path) -> None:
    """Raise OutputPathError unless `path` can become a folder (it is one already, or nothing is there)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{path} is a file: give a folder")
    _check_parents(path)


def _check_parents(path: Path) -> None:
    """The nearest existing parent of `path` must be a folder."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputPathError(f"{path}: {parent} is a file, not a folder")
            break


def atomic_write_text(path: str | Path, text: str) -> None:
    """Replace `path` with `text` in one step; a crash leaves the old file or none, never a part.

    The file gets the mode a plain `open(path, "w")` would give it: the old file's mode, or 0666
    minus the umask (the temporary file starts at 0600).
    """
    path = Path(path)
    check_output_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~current_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
