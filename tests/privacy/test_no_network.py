"""Redaction opens no network connection (tldextract uses its bundled suffix list)."""

from __future__ import annotations

import pytest
import pytest_socket


@pytest.fixture
def no_network():
    pytest_socket.disable_socket(allow_unix_socket=True)
    yield
    pytest_socket.enable_socket()


def test_socket_blocking_is_armed(no_network):
    import socket

    with pytest.raises(pytest_socket.SocketBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)


@pytest.fixture
def fresh_tldextract(monkeypatch, tmp_path):
    """Forget any suffix list tldextract loaded or cached on disk, so the test sees a cold start."""
    from tldextract import tldextract
    from tldextract.cache import DiskCache

    assert tldextract.TLD_EXTRACTOR.suffix_list_urls == ()  # settings emptied the URL list
    monkeypatch.setattr(tldextract.TLD_EXTRACTOR, "_extractor", None)
    monkeypatch.setattr(tldextract.TLD_EXTRACTOR, "_cache", DiskCache(str(tmp_path)))


def test_redaction_opens_no_socket(redactor, fresh_tldextract, no_network):
    # New TLDs and hosts each time: no cache hides a lookup.
    result = redactor.redact(
        "Write to jane.doe@mail.example.co.uk or paul@exemple.museum, card 4111 1111 1111 1111",
        language="en",
    )
    assert "<EMAIL_1>" in result.text and "<EMAIL_2>" in result.text


def test_engine_builds_without_network(no_network):
    from privacy.redaction import PresidioRedactor

    fresh = PresidioRedactor()  # spaCy models from installed packages, presidio config offline
    assert fresh.redact("Call 06 12 34 56 78", language="fr").text == "Call <PHONE_1>"
