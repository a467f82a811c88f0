"""Semantic cache end to end: the real SmolLM2 model, embedder and store, through ingestion."""

from __future__ import annotations

import pytest

from assistant.chat.models import CachedAnswer, Exchange
from tests.chat.documents import EXPECTED, QUESTION
from tests.chat.test_e2e_model import handbook  # noqa: F401 - the fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


def test_a_paraphrase_is_served_from_the_cache_with_its_citations(alice, handbook, settings):  # noqa: F811
    from assistant.chat.services import answer_question

    settings.RAG_CACHE_ENABLED = True
    settings.RAG_MAX_ANSWER_TOKENS = 48
    original = answer_question(user=alice, question=QUESTION)
    assert original.status == Exchange.Status.DONE, original.error_message
    assert original.model_id == "SmolLM2-135M-Instruct"  # the model answered (auto mode)
    assert CachedAnswer.objects.filter(exchange=original).exists()

    served = answer_question(
        user=alice, question="Could you tell me the maximum hotel rate per night in Paris?"
    )
    assert served.answer_path == Exchange.AnswerPath.CACHE
    assert served.cached_from_id == original.pk
    assert served.answer == original.answer
    assert served.model_id == "" and served.completion_tokens == 0  # no model call
    top = served.citations.get(number=1)
    assert (top.document_title, top.page) == (EXPECTED[0].removesuffix(".pdf"), EXPECTED[1])
    assert "145" in top.snippet
