"""Debian's Chromium under Playwright, with the flags this closed network needs (FIELD-NOTES):
never a downloaded browser, no background connections, a fresh profile per test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",  # we run as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def launch_chromium(playwright: Any, profile_dir: Path) -> Any:
    return playwright.chromium.launch_persistent_context(
        str(profile_dir), executable_path=CHROMIUM, headless=True, args=FLAGS
    )


def session_cookie(user: Any, base_url: str) -> dict[str, str]:
    """A session cookie of `user` (Django's force_login) for `base_url`, to hand to
    context.add_cookies(). Call it before sync_playwright() starts: the ORM refuses to run
    inside Playwright's event loop."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}
