"""Encryption at rest of conversation text, with keys kept outside the database.

RAG_FIELD_KEY_FILE names a file of Fernet keys (the `cryptography` package: AES-128-CBC with an
HMAC-SHA256 tag, a random IV per value), one per line; the first encrypts, every line decrypts
(MultiFernet), so older keys stay readable while `manage.py fieldkey rotate` re-encrypts. Empty
means: stored as plaintext, as before. The key file must not be readable by other users.

What a stored value looks like (assistant.chat.fields reads and writes them):
- "enc:v1:<Fernet token>": encrypted with one of the file's keys;
- "enc:v0:<text>": plaintext that itself starts with "enc:", escaped so that a question typed
  that way never passes for a token;
- anything else: plaintext (written with encryption off, e.g. before it was enabled).
Equality lookups on encrypted text are impossible by design (a random IV each time); the one
column compared in SQL (the semantic cache's key terms) stores a keyed digest instead
("hmac:v1:<hex>", HMAC-SHA256 with a key derived from the first Fernet key).

This module knows no model: it turns text into stored values and back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

ENVELOPE = "enc:"
TOKEN_PREFIX = "enc:v1:"  # noqa: S105 (a format marker, not a secret)
ESCAPED_PREFIX = "enc:v0:"
DIGEST_PREFIX = "hmac:v1:"
# Group write or any access by others: someone else could read the key or swap it for theirs.
_UNSAFE_MODE_BITS = stat.S_IWGRP | stat.S_IRWXO
_DIGEST_INFO = b"rag field digest v1"


class FieldKeyError(ImproperlyConfigured):
    """The key file is missing, unsafe or malformed, or a stored value cannot be decrypted with
    the keys it holds. A configuration problem: nothing is written or shown in clear instead."""


@dataclass(frozen=True)
class FieldKeys:
    """The keys of one key file: `fernets[0]` encrypts, all of them decrypt."""

    path: Path
    lines: tuple[str, ...]  # the keys as written in the file, for a rotation to carry over
    fernets: tuple[Fernet, ...]
    multi: MultiFernet
    digest_key: bytes

    def encrypt(self, text: str) -> str:
        return TOKEN_PREFIX + self.fernets[0].encrypt(text.encode()).decode("ascii")

    def decrypt(self, stored: str) -> str:
        """The text of an "enc:v1:" value; FieldKeyError when no key of the file opens it."""
        try:
            return self.multi.decrypt(stored[len(TOKEN_PREFIX) :].encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise FieldKeyError(
                f"RAG_FIELD_KEY_FILE={self.path}: a stored value was encrypted with a key this "
                "file does not hold (was an old key removed before `fieldkey rotate` finished?)"
            ) from None

    def key_index(self, stored: str) -> int | None:
        """Which line of the file opens this token (0 = the current key), None if none does."""
        token = stored[len(TOKEN_PREFIX) :].encode("ascii")
        for index, fernet in enumerate(self.fernets):
            try:
                fernet.decrypt(token)
            except InvalidToken:
                continue
            return index
        return None

    def digest(self, text: str) -> str:
        mac = hmac.new(self.digest_key, text.encode(), hashlib.sha256).hexdigest()
        return DIGEST_PREFIX + mac


def load_keys(path: Path) -> FieldKeys:
    """Read and check a key file. FieldKeyError (an ImproperlyConfigured) when it is missing,
    not a regular file, readable or writable by others, or holds no valid Fernet key."""
    try:
        info = path.stat()
    except OSError as error:
        raise FieldKeyError(
            f"RAG_FIELD_KEY_FILE={path}: cannot read the key file ({error.strerror})"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise FieldKeyError(f"RAG_FIELD_KEY_FILE={path}: not a regular file")
    mode = stat.S_IMODE(info.st_mode)
    if mode & _UNSAFE_MODE_BITS:
        raise FieldKeyError(
            f"RAG_FIELD_KEY_FILE={path}: mode {mode:04o} lets other users read or replace the "
            f"key; run `chmod 600 {path}` (owner only)"
        )
    return keys_from_lines(path, _keys_in(path.read_text(encoding="ascii", errors="replace")))


def keys_from_lines(path: Path, keys: list[str]) -> FieldKeys:
    """FieldKeys for these key lines (first = current); `path` only names them in errors."""
    if not keys:
        raise FieldKeyError(
            f"RAG_FIELD_KEY_FILE={path}: no key in the file "
            "(make one with `manage.py fieldkey generate PATH`)"
        )
    fernets = []
    for number, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except ValueError:
            raise FieldKeyError(
                f"RAG_FIELD_KEY_FILE={path}: key {number} is not a Fernet key "
                "(32 url-safe base64-encoded bytes)"
            ) from None
    # The digest key is derived from the current key, never the key itself.
    raw = base64.urlsafe_b64decode(keys[0].encode("ascii"))
    digest_key = hmac.new(raw, _DIGEST_INFO, hashlib.sha256).digest()
    return FieldKeys(
        path=path,
        lines=tuple(keys),
        fernets=tuple(fernets),
        multi=MultiFernet(fernets),
        digest_key=digest_key,
    )


def _keys_in(text: str) -> list[str]:
    """One key per line; blank lines and `#` comments are ignored."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


_loaded: dict[str, FieldKeys] = {}


def active_keys() -> FieldKeys | None:
    """The keys of RAG_FIELD_KEY_FILE (read once per process), None when it is empty."""
    configured = str(getattr(settings, "RAG_FIELD_KEY_FILE", "") or "")
    if not configured:
        return None
    keys = _loaded.get(configured)
    if keys is None:
        keys = _loaded[configured] = load_keys(Path(configured))
    return keys


def forget_loaded_keys() -> None:
    """Read the key file again on next use (after a rotation, in tests)."""
    _loaded.clear()


@receiver(setting_changed)
def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "RAG_FIELD_KEY_FILE":
        forget_loaded_keys()


def is_token(stored: str) -> bool:
    return stored.startswith(TOKEN_PREFIX)


def seal(text: str, keys: FieldKeys | None = None) -> str:
    """The stored form of `text`: encrypted when a key is configured (or given), else plaintext
    (escaped when it starts with "enc:"). The empty string stays empty: "no answer yet" and "no
    reason given" reveal nothing and stay comparable in SQL."""
    keys = keys if keys is not None else active_keys()
    if not text:
        return text
    if keys is not None:
        return keys.encrypt(text)
    return ESCAPED_PREFIX + text if text.startswith(ENVELOPE) else text


def reveal(stored: str, keys: FieldKeys | None = None) -> str:
    """The text of a stored value, whatever form it was written in. FieldKeyError when it is
    encrypted and no configured key opens it."""
    if not stored.startswith(ENVELOPE):
        return stored
    if stored.startswith(ESCAPED_PREFIX):
        return stored[len(ESCAPED_PREFIX) :]
    if not stored.startswith(TOKEN_PREFIX):
        return stored  # "enc:..." written before this module existed: plaintext
    keys = keys if keys is not None else active_keys()
    if keys is None:
        raise FieldKeyError(
            "The database holds encrypted conversation text but RAG_FIELD_KEY_FILE is empty: "
            "set it to the key file these rows were written with"
        )
    return keys.decrypt(stored)


def digest(text: str, keys: FieldKeys | None = None) -> str:
    """A comparable stand-in for `text`: its keyed digest when a key is configured, else the text.
    Idempotent (a digest is returned as it is), so saving a loaded row does not hash twice."""
    keys = keys if keys is not None else active_keys()
    if keys is None or not text or text.startswith(DIGEST_PREFIX):
        return text
    return keys.digest(text)


def generate_key_file(path: Path) -> None:
    """Create `path` (owner read/write only) with one new Fernet key; never overwrites."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(Fernet.generate_key().decode("ascii") + "\n")


def write_key_file(path: Path, keys: list[str]) -> None:
    """Replace `path` atomically by `keys`, one per line, owner read/write only."""
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a leftover temporary file keeps its own mode otherwise
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write("".join(f"{key}\n" for key in keys))
    os.replace(temporary, path)


@checks.register(checks.Tags.security)
def check_field_key_file(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """At start-up (`serve`, `migrate`, `check`): an unusable key file stops the process with
    its reason instead of failing the first question."""
    try:
        active_keys()
    except FieldKeyError as error:
        return [checks.Error(str(error), id="assistant.E001")]
    return []
