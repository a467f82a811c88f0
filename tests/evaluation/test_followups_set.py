"""The follow-up evaluation set (assistant.evaluation.followups) and its command: two-turn
conversations in both languages whose second turn needs one known passage, scored with the real
embedder and embedded store."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from django.core.management import call_command

from assistant.evaluation.followups import build_followup_set


def test_the_set_has_both_languages_and_every_shape():
    data = build_followup_set()
    shapes = Counter((c.lang, c.shape) for c in data.conversations)
    followups = sum(n for (_, shape), n in shapes.items() if shape != "standalone")
    assert followups >= 60
    assert {lang for lang, _ in shapes} == {"en", "fr"}
    assert all(shapes[(lang, s)] for lang in ("en", "fr") for s in ("aspect", "subject"))
    for conversation in data.conversations:
        assert conversation.relevant in data.documents[conversation.lang]
    assert len({c.id for c in data.conversations}) == len(data.conversations)


@pytest.mark.django_db
def test_evaluate_followups_reports_both_hits(capsys):
    call_command("evaluate", "followups", "--json")
    result = json.loads(capsys.readouterr().out)
    summary = result["summary"]["follow-ups"]
    assert summary["n"] >= 60 and summary["rewritten"] == 1.0
    # Rewriting is what finds the passage of an "and how many people work there?" follow-up.
    assert summary["rewritten_hit@4"] >= summary["plain_hit@4"] + 0.2
    for lang in ("en", "fr"):
        assert result["summary"][f"{lang} standalone"]["rewritten"] == 0.0
