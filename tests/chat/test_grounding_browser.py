"""The chat page in Chromium shows which sentences the sources back: an in-process live server
with the deterministic fake model (so the answer is known), Debian's Chromium via Playwright."""

from __future__ import annotations

import pytest

FABRICATED = (
    "Employees receive 27 days of paid annual leave per year [1]. "
    "They also get a bonus of 9,999 euros every March [1]."
)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_unsupported_sentence_is_greyed_and_a_supported_one_highlights_its_span(
    chat_users, live_server, settings, tmp_path
):
    from playwright.sync_api import sync_playwright

    from tests.chat.browser import launch_chromium, session_cookie

    settings.RAG_FAKE_LLM_REPLY = FABRICATED
    cookie = session_cookie(chat_users["hana"], live_server.url)
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "chromium-profile")
        try:
            context.add_cookies([cookie])
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{live_server.url}/chat/")
            page.check("input[name=mode][value=generated]")
            page.fill("#question", "How many days of paid annual leave do employees get?")
            page.click("#ask-form button[type=submit]")
            page.wait_for_selector(".answer.answer-done", timeout=60000)
            unsupported = page.locator(".answer-done .sentence.unsupported")
            assert unsupported.count() == 1 and unsupported.is_visible()
            assert "9,999" in unsupported.inner_text()
            assert "9,999" in (unsupported.get_attribute("title") or "")
            colour = unsupported.evaluate("e => getComputedStyle(e).color")
            assert colour == "rgb(156, 163, 175)"  # greyed
            icon = unsupported.evaluate("e => getComputedStyle(e, '::before').content")
            assert "⚠" in icon
            assert "generated mode" in page.inner_text(".answer-done .answer-path")
            page.click(".answer-done .sentence.supported")
            page.wait_for_selector("#source-panel mark", timeout=10000)
            assert page.inner_text("#source-panel mark") == (
                "Employees receive 27 days of paid annual leave per year."
            )
            assert page.locator(".sentence.supported.active").count() == 1
            assert not [e for e in errors if "Content Security Policy" in e], errors
        finally:
            context.close()
