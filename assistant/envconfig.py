"""Typed readers for environment variables (healthchecks style).

Every setting of the product comes from one environment variable read through one of these helpers.
A bad value raises ImproperlyConfigured naming the variable, the value and what is expected, so a
typo in a deployment fails at start-up instead of at the first request.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: use true or false")


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected an integer") from None
    _check_range(name, raw, value, minimum, maximum)
    return value


def env_float(
    name: str, default: float, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a number") from None
    _check_range(name, raw, value, minimum, maximum)
    return value


def env_optional_float(
    name: str, *, minimum: float | None = None, maximum: float | None = None
) -> float | None:
    """A number, or None when the variable is unset or empty (the caller has its own default,
    e.g. a threshold calibrated per embedder)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    return env_float(name, 0.0, minimum=minimum, maximum=maximum)


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected one of {', '.join(choices)}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str, *, schemes: tuple[str, ...]) -> str:
    """A URL whose scheme is one of `schemes`; the empty string means "not configured"."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip()
    if value == "":
        return ""
    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name}={raw!r}: expected a URL starting with one of "
            + ", ".join(f"{s}://" for s in schemes)
        )
    return value


def env_sha256(name: str) -> str:
    raw = os.environ.get(name, "").strip().lower()
    if raw and (len(raw) != 64 or any(c not in "0123456789abcdef" for c in raw)):
        raise ImproperlyConfigured(f"{name}={raw!r}: expected 64 hexadecimal characters")
    return raw


def env_path(name: str, default: Path) -> Path:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return Path(raw).expanduser().resolve()


def env_json(name: str, default: object) -> object:
    """A JSON value, or `@/path/to/file.json` to read it from a file (long policies)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    source = raw
    if raw.startswith("@"):
        try:
            source = Path(raw[1:]).expanduser().read_text()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}={raw!r}: cannot read the file ({exc})") from None
    try:
        return json.loads(source)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: not valid JSON ({exc})") from None


def _check_range(
    name: str, raw: str, value: float, minimum: float | None, maximum: float | None
) -> None:
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r}: must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={raw!r}: must be at most {maximum}")
