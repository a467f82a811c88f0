"""Semantic cache: deleting a document or a collection removes the entries built from it. Its
own module, because deleting drops points from the module-wide synthetic index."""

from __future__ import annotations

import pytest

from assistant.chat.models import CachedAnswer
from assistant.chat.services import answer_question
from ingestion.models import Collection, Document

pytestmark = pytest.mark.django_db

LEAVE = "How many days of paid annual leave do employees get?"
PARAPHRASE = "Could you tell me how many days of paid annual leave employees get, please?"


@pytest.fixture
def cache_on(settings, corpus):
    settings.RAG_CACHE_ENABLED = True
    settings.RAG_REVIEW_SAMPLE_RATE = 0
    yield
    from django.core.cache import cache

    cache.clear()  # many questions: the per-minute rate-limit counters must not leak out


def test_deleting_a_cited_document_removes_its_entries(cache_on, chat_users, ada):
    from ingestion.services import document_delete

    hana = chat_users["hana"]
    original = answer_question(user=hana, question=LEAVE, mode="quote")
    laptop = answer_question(
        user=chat_users["ivan"], question="How fast is a broken laptop replaced?", mode="quote"
    )
    assert CachedAnswer.objects.count() == 2
    cited = original.citations.values_list("document_id_at_answer", flat=True)
    document_delete(document=Document.objects.get(pk=min(cited)), actor=ada)
    assert list(CachedAnswer.objects.values_list("exchange_id", flat=True)) == [laptop.pk]
    again = answer_question(user=hana, question=PARAPHRASE, mode="quote")
    assert again.cached_from_id is None


def test_deleting_a_collection_removes_its_entries(cache_on, chat_users, ada):
    from ingestion.services import collection_delete

    # (not the leave question: the test above deleted the leave document's points)
    question = "How many days per week can I work remotely?"
    original = answer_question(user=chat_users["hana"], question=question, mode="quote")
    assert original.status == "done", original.answer
    entry = CachedAnswer.objects.get(exchange=original)
    assert list(entry.collections.values_list("slug", flat=True)) == ["hr"]
    collection_delete(collection=Collection.objects.get(slug="hr"), actor=ada)
    assert not CachedAnswer.objects.exists()
