"""Placeholders, language handling, policy, the evaluation set and login-failure auditing."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.test import Client

from assistant.evaluation.redaction import build_dataset, evaluate
from ingestion.models import Collection
from privacy.models import AuditEvent
from privacy.policy import must_mask_everywhere
from privacy.redaction import PlaceholderMap
from tests.fixtures.identifiers import PASSWORD_FOR_TESTS, valid_nir


def test_placeholders_are_consistent_within_an_exchange(redactor):
    placeholders = PlaceholderMap()
    nir = valid_nir()
    spaced = " ".join([nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]])
    q = redactor.redact(
        f"Je suis Marie Dupont, NIR {nir}. Paul Martin est mon conseiller.",
        language="fr",
        placeholders=placeholders,
    )
    a = redactor.redact(
        f"Bonjour Marie Dupont, le NIR {spaced} est noté ; appelez le 06 12 34 56 78.",
        language="fr",
        placeholders=placeholders,
    )
    assert q.text == "Je suis <PERSON_1>, NIR <NIR_1>. <PERSON_2> est mon conseiller."
    assert a.text == "Bonjour <PERSON_1>, le NIR <NIR_1> est noté ; appelez le <PHONE_1>."
    # A new exchange starts numbering again.
    assert redactor.redact("Paul Martin", language="fr").text == "<PERSON_1>"


def test_same_phone_in_two_formats_shares_a_placeholder(redactor):
    text = "Tél 06 12 34 56 78, ou +33 6 12 34 56 78."
    assert redactor.redact(text, language="fr").text == "Tél <PHONE_1>, ou <PHONE_1>."


def test_auto_language_and_offsets(redactor):
    text = "Merci de contacter Sophie Martin à Bordeaux, sophie.martin@exemple.fr."
    result = redactor.redact(text, language="auto")
    assert result.language == "fr"
    assert {text[e.start : e.end] for e in result.entities} >= {
        "Sophie Martin",
        "sophie.martin@exemple.fr",
    }
    assert result.counts()["EMAIL"] == 1


def test_empty_text(redactor):
    result = redactor.redact("   ", language="auto")
    assert result.text == "   " and result.entities == []


@pytest.mark.django_db
def test_policy():
    logs = Collection.objects.create(slug="l", name="L")
    everywhere = Collection.objects.create(
        slug="e", name="E", redaction_policy=Collection.RedactionPolicy.MASK_EVERYWHERE
    )
    assert not must_mask_everywhere([logs], llm_is_local=True)
    assert must_mask_everywhere([logs, everywhere], llm_is_local=True)
    assert must_mask_everywhere([logs], llm_is_local=False)  # a remote model always gets masks
    assert must_mask_everywhere([], llm_is_local=False)


def test_evaluation_scores_a_perfect_and_a_blind_redactor(redactor):
    samples = build_dataset(seed=1, per_template=1)
    assert any(not s.gold for s in samples)  # look-alike negatives are part of the set
    report = evaluate(redactor, samples)
    assert report["per_type"]["NIR"]["recall"] == 1.0

    class Blind:
        def analyze(self, text, *, language):
            return []

    blind = evaluate(Blind(), samples)
    assert blind["recall"] == 0.0 and blind["precision"] is None


def test_importing_privacy_web_modules_loads_no_heavy_library():
    code = (
        "import django, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
        "'assistant.settings'); django.setup(); import privacy.urls, privacy.services, "
        "privacy.signals, privacy.chain; "
        "print(sorted(m for m in ('presidio_analyzer', 'spacy', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.django_db
def test_login_failure_burst_is_audited_once(settings, alice):
    from django.core.cache import cache

    cache.clear()
    settings.AXES_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="10.1.2.3")
    for _ in range(5):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    events = list(AuditEvent.objects.filter(action__startswith="auth."))
    assert [e.action for e in events].count("auth.login_failure_burst") == 1
    burst = next(e for e in events if e.action == "auth.login_failure_burst")
    assert burst.data["username"] == "alice" and "10.1.2.3" not in str(burst.data)
    for _ in range(3):
        client.post("/accounts/login/", {"username": PASSWORD_FOR_TESTS, "password": "x"})
    typed = AuditEvent.objects.filter(action="auth.login_failure_burst").order_by("-sequence")[0]
    assert PASSWORD_FOR_TESTS not in str(typed.data)  # an unknown name is never stored
