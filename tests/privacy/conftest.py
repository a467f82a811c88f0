"""Privacy fixtures: one presidio engine per test session, exchanges to audit, valid and invalid
identifiers built with python-stdnum. (Transactional tests flush through privacy's own `flush`
command, which lifts the append-only triggers on test databases only.)"""

from __future__ import annotations

from typing import Any

import pytest
from stdnum import iban, luhn
from stdnum.fr import nir

from assistant.chat.models import Conversation, Exchange


@pytest.fixture(scope="session")
def redactor() -> Any:
    """The process-wide engine (~4-7 s, ~650 MB): loaded once per session."""
    from privacy.redaction import get_redactor

    return get_redactor()


def valid_nir(base: str = "1850578006084") -> str:
    return base + nir.calc_check_digits(base)


def valid_siren(base: str = "73282932") -> str:
    return base + luhn.calc_check_digit(base)


def valid_siret(siren: str | None = None, suffix: str = "0007") -> str:
    base = (siren or valid_siren()) + suffix
    return base + luhn.calc_check_digit(base)


def valid_iban(country: str = "FR", bban: str = "30006000011234567890189") -> str:
    return country + iban.calc_check_digits(country + "00" + bban) + bban


def wrong_check(value: str) -> str:
    """Same shape, last digit changed: the checksum fails."""
    digits = [i for i, c in enumerate(value) if c.isdigit()]
    i = digits[-1]
    return value[:i] + str((int(value[i]) + 1) % 10) + value[i + 1 :]


@pytest.fixture
def make_exchange(alice, collection_a):
    def make(**fields: Any) -> Exchange:
        conversation = Conversation.objects.create(user=alice, title="t")
        defaults: dict[str, Any] = {
            "conversation": conversation,
            "user": alice,
            "question": "What is the leave policy?",
            "answer": "Twenty-five days [1].",
            "status": Exchange.Status.DONE,
            "language": "en",
            "max_score": 0.8,
            "model_id": "SmolLM2-135M-Instruct",
            "prompt_sha256": "a" * 64,
        }
        defaults.update(fields)
        exchange = Exchange.objects.create(**defaults)
        exchange.searched_collections.add(collection_a)
        return exchange

    return make


# Someone typing their password into the username field: must never reach the audit trail.
PASSWORD_FOR_TESTS = "S3cret-typed-as-username"
