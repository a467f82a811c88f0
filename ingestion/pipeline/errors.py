"""Errors of the pipeline. Their messages are shown to the admin as they are."""

from __future__ import annotations


class ParseError(Exception):
    """Permanent, user-readable failure (message shown to the admin)."""


class UnsupportedType(ParseError):
    """The file's content is not one of the supported formats."""
