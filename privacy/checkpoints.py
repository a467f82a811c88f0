"""Where the signed checkpoints of the audit chain are kept: outside the database.

A checkpoint ({"sequence", "hash", "signed_at", "algorithm", "signature"}, made by
privacy.chain.make_checkpoint) says "at signed_at the chain had `sequence` events and event
`sequence` had this hash", signed with RAG_AUDIT_HMAC_KEY. That key is never in the database (it
comes from the environment, or is SECRET_KEY: environment or RAG_DATA_DIR/secret_key). Whoever
can only write to the database can delete the newest events, move the chain head back or re-hash
every row with the product's own functions, but cannot make the rows agree with a checkpoint.

Checkpoints are appended, one JSON object a line, to `checkpoints.jsonl` in
RAG_AUDIT_CHECKPOINT_DIR (default RAG_DATA_DIR/audit; folder 0700, file 0600). With
RAG_AUDIT_SYSLOG each one is also sent to syslog (RAG_AUDIT_SYSLOG_ADDRESS), a copy out of reach of
whoever can edit that disk.
"""

from __future__ import annotations

import json
import logging
import os
from logging.handlers import SysLogHandler
from pathlib import Path
from typing import Any

from django.conf import settings

from assistant.private_files import open_private, private_directory

logger = logging.getLogger(__name__)

FILE_NAME = "checkpoints.jsonl"
SYSLOG_TAG = "rag-audit-checkpoint"


class CheckpointFileError(Exception):
    """The checkpoint file cannot be read, or one of its lines is not a JSON object."""


def checkpoint_dir() -> Path:
    """RAG_AUDIT_CHECKPOINT_DIR, or RAG_DATA_DIR/audit (read at each use: tests move it)."""
    return settings.RAG_AUDIT_CHECKPOINT_DIR or Path(settings.DATA_DIR) / "audit"


def checkpoint_path() -> Path:
    return checkpoint_dir() / FILE_NAME


def store_checkpoint(checkpoint: dict[str, Any]) -> Path:
    """Append `checkpoint` to the checkpoint file (flushed to disk) and, with RAG_AUDIT_SYSLOG,
    send it to syslog. Returns the file's path. Raises OSError when the file cannot be written; a
    syslog failure is only logged (the file is the record that `audit verify` reads)."""
    line = json.dumps(checkpoint, sort_keys=True, separators=(",", ":")) + "\n"
    path = private_directory(checkpoint_dir()) / FILE_NAME
    # One write() of one short line on a file opened O_APPEND: concurrent writers (web and worker
    # processes) each land a whole line at the end, never inside another one.
    with open_private(path, append=True) as out:
        out.write(line)
        out.flush()
        os.fsync(out.fileno())
    if settings.RAG_AUDIT_SYSLOG:
        _send_to_syslog(line.strip())
    return path


def stored_checkpoints() -> list[dict[str, Any]]:
    """Every checkpoint of the file, oldest first; [] when none was written yet (fresh install).
    Raises CheckpointFileError for an unreadable file or a line that is not a JSON object (the
    signature of each checkpoint is privacy.chain's to check)."""
    path = checkpoint_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointFileError(f"cannot read the checkpoint file {path}: {exc}") from None
    checkpoints = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            checkpoint = json.loads(line)
        except ValueError:
            checkpoint = None
        if not isinstance(checkpoint, dict):
            raise CheckpointFileError(f"{path} line {number} is not a checkpoint (altered?)")
        checkpoints.append(checkpoint)
    return checkpoints


def syslog_address() -> str | tuple[str, int]:
    """A socket path as it is, `host:port` as a UDP address (settings checked the form)."""
    address: str = settings.RAG_AUDIT_SYSLOG_ADDRESS
    if address.startswith("/"):
        return address
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def _send_to_syslog(line: str) -> None:
    try:
        handler = SysLogHandler(address=syslog_address(), facility=SysLogHandler.LOG_AUTHPRIV)
    except OSError as exc:  # no syslog socket: the file still has the checkpoint
        logger.warning("audit checkpoint not sent to syslog: %s", exc)
        return
    try:
        record = logging.LogRecord(
            SYSLOG_TAG, logging.INFO, __file__, 0, "%s: %s", (SYSLOG_TAG, line), None
        )
        handler.emit(record)
    finally:
        handler.close()
