"""Files and folders that only the product's own user can read: 0600 files, 0700 folders.

Settings set the process umask to 077, so whatever the product or a library creates (SQLite
database and its -wal/-shm files, uploads, the embedded broker, Qdrant's files, exports) starts
private. These helpers cover what a umask cannot: a file or folder that already existed with a
wider mode (overwriting an old 0644 export keeps 0644), and the files whose mode is part of a
contract (exports, audit checkpoints) whatever umask the process was started with. Something owned
by another user is left as it is: only its owner may change its mode.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
PRIVATE_UMASK = 0o077


def _tighten(path: Path | int, current: os.stat_result, mode: int) -> None:
    if stat.S_IMODE(current.st_mode) != mode and current.st_uid == os.geteuid():
        os.chmod(path, mode)


def private_directory(path: Path) -> Path:
    """Create `path` (and its parents) if needed and make it 0700 when we own it."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, path.stat(), PRIVATE_DIR_MODE)
    return path


def open_private(path: Path, *, append: bool = False) -> IO[str]:
    """Open `path` for writing text (truncated, or appended to), created 0600 or made 0600."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE_MODE)
    try:
        _tighten(fd, os.fstat(fd), PRIVATE_FILE_MODE)
        return os.fdopen(fd, "a" if append else "w", encoding="utf-8", newline="")
    except BaseException:
        os.close(fd)
        raise
