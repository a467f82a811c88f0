"""Semantic cache: paraphrases served at once, never across an access boundary, a language, a
document version, an expiry or a rejection; follow-ups and questions with personal data skipped.
Real embedder and embedded store on the synthetic corpus; fake LLM (these are answer-path tests)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assistant.chat.models import CachedAnswer, Exchange
from assistant.chat.semantic_cache import invalidate_documents, purge_expired
from assistant.chat.semantic_cache.lookup import best_entry
from assistant.chat.semantic_cache.terms import key_terms
from assistant.chat.services import answer_question
from ingestion.selectors import readable_collection_ids

pytestmark = pytest.mark.django_db

LEAVE = "How many days of paid annual leave do employees get?"
LEAVE_PARAPHRASE = "Could you tell me how many days of paid annual leave employees get, please?"


@pytest.fixture
def cache_on(settings, corpus):
    settings.RAG_CACHE_ENABLED = True
    settings.RAG_CACHE_THRESHOLD = 0.80
    settings.RAG_CACHE_TTL_HOURS = 24
    settings.RAG_REVIEW_SAMPLE_RATE = 0
    yield settings
    from django.core.cache import cache

    cache.clear()  # many questions: the per-minute rate-limit counters must not leak out


def entry_for(user, question, language):
    return best_entry(
        user=user,
        question=question,
        language=language,
        collection_ids=readable_collection_ids(user),
    )


def ask(user, question, **kwargs):
    return answer_question(user=user, question=question, mode=kwargs.pop("mode", "quote"), **kwargs)


def test_a_paraphrase_is_served_from_the_cache_with_its_citations(cache_on, chat_users):
    original = ask(chat_users["hana"], LEAVE)
    assert original.status == Exchange.Status.DONE
    assert original.answer_path == Exchange.AnswerPath.QUOTE
    entry = CachedAnswer.objects.get(exchange=original)
    assert set(entry.collections.values_list("pk", flat=True)) == {9101}
    assert set(entry.sources.values_list("document_id", "version")) >= {(9201, 1)}

    served = ask(chat_users["lea"], LEAVE_PARAPHRASE)  # another reader of hr
    assert served.status == Exchange.Status.DONE
    assert served.answer_path == Exchange.AnswerPath.CACHE
    assert served.cached_from_id == original.pk
    assert served.answer == original.answer
    assert served.retrieval_ms is None
    copied = list(served.citations.values_list("number", "document_id_at_answer", "snippet"))
    assert copied == list(
        original.citations.values_list("number", "document_id_at_answer", "snippet")
    )
    assert served.metrics["cache"]["original_exchange_id"] == str(original.public_id)
    assert served.metrics["cache"]["similarity"] >= 0.80
    assert served.metrics["verification"] == original.metrics["verification"]
    entry.refresh_from_db()
    assert entry.hits == 1 and entry.last_hit_at is not None
    assert not CachedAnswer.objects.filter(exchange=served).exists()  # never cache-of-cache


def test_an_entry_is_never_served_to_a_user_lacking_one_of_its_collections(
    cache_on, chat_users, settings
):
    from assistant.accounts.services import collection_grant, user_create_or_update

    settings.RAG_MIN_SCORE = 0.0  # every passage counts: the entry spans several collections
    everyone, _ = user_create_or_update(username="olga", roles=["employee"], password="pw-olga")
    for slug in ("hr", "finance", "legal", "it"):
        collection_grant(collection_slug=slug, username="olga")
    original = ask(everyone, LEAVE)
    entry = CachedAnswer.objects.get(exchange=original)
    sources = set(entry.collections.values_list("slug", flat=True))
    assert len(sources) >= 2, sources

    partial, _ = user_create_or_update(username="pia", roles=["employee"], password="pw-pia")
    full, _ = user_create_or_update(username="quinn", roles=["employee"], password="pw-quinn")
    for slug in sorted(sources)[1:]:
        collection_grant(collection_slug=slug, username="pia")
    for slug in sources:
        collection_grant(collection_slug=slug, username="quinn")

    missed = ask(partial, LEAVE_PARAPHRASE)
    assert missed.cached_from_id is None
    assert missed.status == Exchange.Status.DONE  # answered from what pia may read
    CachedAnswer.objects.filter(exchange=missed).delete()  # (an entry of its own, to set aside)
    assert ask(full, LEAVE_PARAPHRASE).cached_from_id == original.pk
    # A reader of every collection who searches only some of them does not get it either.
    dropped = sorted(entry.collections.values_list("pk", flat=True))[0]
    narrowed = [pk for pk in (9101, 9102, 9103, 9104) if pk != dropped]
    assert ask(everyone, LEAVE_PARAPHRASE, collection_ids=narrowed).cached_from_id is None


def test_a_revoked_grant_stops_a_hit_chosen_before(cache_on, chat_users):
    from assistant.accounts.services import collection_grant
    from assistant.chat.services import create_exchange, stream_answer

    ask(chat_users["hana"], LEAVE)
    pending = create_exchange(user=chat_users["lea"], question=LEAVE_PARAPHRASE, mode="quote")
    assert pending.metrics["planned_path"] == Exchange.AnswerPath.CACHE
    collection_grant(collection_slug="hr", username="lea", revoke=True)
    list(stream_answer(pending))
    pending.refresh_from_db()
    assert pending.cached_from_id is None
    assert pending.answer_path != Exchange.AnswerPath.CACHE


def test_no_hit_across_languages(cache_on, chat_users):
    question = "Combien de jours de congés payés par an ?"
    original = ask(chat_users["hana"], question)
    assert original.language == "fr"
    assert CachedAnswer.objects.filter(exchange=original).exists()
    hana = chat_users["hana"]
    assert entry_for(hana, question, "fr") is not None
    assert entry_for(hana, question, "en") is None


def test_a_new_version_or_a_changed_document_invalidates(cache_on, chat_users):
    from ingestion.indexing import retire_document
    from ingestion.models import Document

    original = ask(chat_users["hana"], LEAVE)
    cited = set(original.citations.values_list("document_id_at_answer", flat=True))
    assert CachedAnswer.objects.filter(exchange=original).exists()
    retire_document(Document.objects.get(pk=min(cited)))
    assert not CachedAnswer.objects.filter(exchange=original).exists()
    assert ask(chat_users["hana"], LEAVE_PARAPHRASE).cached_from_id is None


def test_lookup_itself_skips_an_entry_whose_document_changed_version(cache_on, chat_users):
    from ingestion.models import Document

    original = ask(chat_users["hana"], LEAVE)
    hana = chat_users["hana"]
    assert entry_for(hana, LEAVE_PARAPHRASE, "en").entry.exchange_id == original.pk
    cited = original.citations.values_list("document_id_at_answer", flat=True)
    Document.objects.filter(pk=min(cited)).update(version=2)  # no hook ran: SQL must notice
    assert entry_for(hana, LEAVE_PARAPHRASE, "en") is None


def test_invalidate_documents_removes_only_entries_built_from_them(cache_on, chat_users):
    leave = ask(chat_users["hana"], LEAVE)
    laptop = ask(chat_users["ivan"], "How fast is a broken laptop replaced?")
    assert CachedAnswer.objects.count() == 2
    laptop_docs = laptop.citations.values_list("document_id_at_answer", flat=True)
    invalidate_documents(laptop_docs)
    assert list(CachedAnswer.objects.values_list("exchange_id", flat=True)) == [leave.pk]


def test_expired_entries_are_not_served_and_are_purged(cache_on, chat_users):
    original = ask(chat_users["hana"], LEAVE)
    entry = CachedAnswer.objects.get(exchange=original)
    assert entry.expires_at > timezone.now() + timedelta(hours=23)
    CachedAnswer.objects.filter(pk=entry.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert ask(chat_users["hana"], LEAVE_PARAPHRASE).cached_from_id is None
    assert purge_expired() == 1
    assert not CachedAnswer.objects.filter(exchange=original).exists()


def _review(exchange):
    from privacy.models import AuditEvent, Review

    event = AuditEvent.objects.get(exchange_public_id=exchange.public_id, action="chat.exchange")
    review, _ = Review.objects.get_or_create(
        exchange=exchange, defaults={"audit_event": event, "user": exchange.user}
    )
    return review


def test_a_rejected_answer_is_never_served(cache_on, chat_users, carl):
    from privacy.models import Review
    from privacy.review import review_decide

    original = ask(chat_users["hana"], LEAVE)
    review = _review(original)
    Review.objects.filter(pk=review.pk).update(state=Review.State.REJECTED)  # no hook ran
    assert entry_for(chat_users["hana"], LEAVE_PARAPHRASE, "en") is None
    Review.objects.filter(pk=review.pk).update(state=Review.State.QUEUED)
    assert entry_for(chat_users["hana"], LEAVE_PARAPHRASE, "en") is not None
    review.refresh_from_db()
    review_decide(review=review, actor=carl, decision="reject", reason="wrong figure")
    assert not CachedAnswer.objects.exists()
    assert ask(chat_users["lea"], LEAVE_PARAPHRASE).cached_from_id is None


def test_rejecting_a_served_copy_removes_the_original_entry(cache_on, chat_users, carl):
    from privacy.review import review_decide

    ask(chat_users["hana"], LEAVE)
    served = ask(chat_users["lea"], LEAVE_PARAPHRASE)
    assert served.cached_from_id is not None
    review_decide(review=_review(served), actor=carl, decision="reject", reason="no")
    assert not CachedAnswer.objects.exists()


def test_an_approved_answer_is_preferred_over_a_more_similar_one(cache_on, chat_users, carl):
    from assistant.chat.semantic_cache import store
    from privacy.review import review_decide

    cache_on.RAG_CACHE_ENABLED = False  # two answers to equivalent questions, cached by hand
    closer = ask(chat_users["hana"], LEAVE)
    approved = ask(chat_users["hana"], "Please, how many paid annual leave days do employees get?")
    cache_on.RAG_CACHE_ENABLED = True
    assert store(closer) is not None and store(approved) is not None
    hana = chat_users["hana"]
    assert entry_for(hana, LEAVE, "en").entry.exchange_id == closer.pk
    review_decide(review=_review(approved), actor=carl, decision="approve")
    hit = entry_for(hana, LEAVE, "en")
    assert hit.entry.exchange_id == approved.pk and hit.approved


def test_different_numbers_or_subjects_never_hit(cache_on, chat_users):
    original = ask(chat_users["felix"], "What is the marketing budget for 2026?")
    assert CachedAnswer.objects.filter(exchange=original).exists()
    assert ask(chat_users["felix"], "What is the marketing budget for 2027?").cached_from_id is None
    assert ask(chat_users["felix"], "What is the sales budget for 2026?").cached_from_id is None
    assert ask(chat_users["felix"], "Tell me the marketing budget for 2026.").cached_from_id == (
        original.pk
    )


def test_key_terms_keep_what_changes_the_answer_and_drop_the_framing():
    same = [
        "What is the maximum daily dose of paracetamol for adults?",
        "Could you tell me the maximum daily dose of paracetamol for adults, please?",
        "I would like to know the maximum daily dose of paracetamol for adults.",
    ]
    assert len({key_terms(q, "en") for q in same}) == 1
    assert key_terms("Article 12 applies after two years", "en") == key_terms(
        "article 12 applies after 2 years", "en"
    )
    base = key_terms(same[0], "en")
    for different in (
        "What is the maximum daily dose of ibuprofen for adults?",
        "What is the maximum daily dose of paracetamol for children?",
        "What is the minimum daily dose of paracetamol for adults?",
        "What isn't the maximum daily dose of paracetamol for adults?",
    ):
        assert key_terms(different, "en") != base, different
    assert key_terms("Quel est l'article 12 ?", "fr") != key_terms("Quel est l'article 13 ?", "fr")
    assert key_terms("Pouvez-vous me dire le préavis ?", "fr") == key_terms(
        "Je voudrais savoir le préavis.", "fr"
    )
    assert key_terms("Who signs the contract?", "en") != key_terms(
        "When is the contract signed?", "en"
    )


def test_follow_up_questions_are_neither_looked_up_nor_stored(cache_on, chat_users):
    hana = chat_users["hana"]
    ask(hana, LEAVE)
    first = ask(hana, "Can I carry over unused leave days?")
    follow_up = ask(hana, LEAVE_PARAPHRASE, conversation=first.conversation)
    assert follow_up.cached_from_id is None
    assert follow_up.status == Exchange.Status.DONE
    assert not CachedAnswer.objects.filter(exchange=follow_up).exists()


def test_a_question_with_personal_data_is_not_stored(cache_on, chat_users):
    question = "How many days of paid annual leave does Jean Dupont (jean.dupont@example.com) get?"
    exchange = ask(chat_users["hana"], question)
    assert exchange.status == Exchange.Status.DONE
    assert not CachedAnswer.objects.filter(exchange=exchange).exists()


def test_a_quote_only_request_never_gets_a_generated_answer(cache_on, chat_users):
    cache_on.RAG_FAKE_LLM_REPLY = "Employees receive 27 days of paid annual leave per year [1]."
    original = ask(chat_users["hana"], LEAVE, mode="generated")
    assert original.answer_path == Exchange.AnswerPath.GENERATED
    assert CachedAnswer.objects.filter(exchange=original).exists()
    quoted = ask(chat_users["lea"], LEAVE_PARAPHRASE, mode="quote")
    assert quoted.cached_from_id is None
    CachedAnswer.objects.filter(exchange=quoted).delete()  # its own entry, set aside
    assert ask(chat_users["lea"], LEAVE_PARAPHRASE, mode="auto").cached_from_id == original.pk


def test_a_poorly_supported_answer_is_not_stored(cache_on, chat_users):
    cache_on.RAG_FAKE_LLM_REPLY = "Employees receive 45 days of leave on the moon [1]."
    exchange = ask(chat_users["hana"], LEAVE, mode="generated")
    assert exchange.status == Exchange.Status.DONE
    assert not CachedAnswer.objects.filter(exchange=exchange).exists()


def test_the_audit_event_of_a_served_answer_names_the_original(cache_on, chat_users):
    from privacy.models import AuditEvent

    original = ask(chat_users["hana"], LEAVE)
    served = ask(chat_users["lea"], LEAVE_PARAPHRASE)
    event = AuditEvent.objects.get(exchange_public_id=served.public_id, action="chat.exchange")
    assert event.data["served_from_cache"] is True
    assert event.data["cached_from"] == str(original.public_id)
    assert event.data["answer_path"] == "cache"
    first = AuditEvent.objects.get(exchange_public_id=original.public_id, action="chat.exchange")
    assert first.data["served_from_cache"] is False


def test_the_cache_can_be_switched_off(cache_on, chat_users):
    ask(chat_users["hana"], LEAVE)
    cache_on.RAG_CACHE_ENABLED = False
    assert ask(chat_users["lea"], LEAVE_PARAPHRASE).cached_from_id is None


def test_lookups_are_counted_by_outcome(cache_on, chat_users):
    from assistant.metrics import CACHE_LOOKUPS

    def count(outcome):
        return CACHE_LOOKUPS.labels(outcome=outcome)._value.get()

    before = {o: count(o) for o in ("hit", "miss", "skipped")}
    first = ask(chat_users["hana"], LEAVE)
    ask(chat_users["lea"], LEAVE_PARAPHRASE)
    ask(chat_users["hana"], LEAVE_PARAPHRASE, conversation=first.conversation)
    assert count("miss") - before["miss"] >= 1
    assert count("hit") - before["hit"] == 1
    assert count("skipped") - before["skipped"] == 1


def test_the_chat_page_says_the_answer_came_from_the_cache(cache_on, chat_users, client_for):
    from django.urls import reverse

    original = ask(chat_users["hana"], LEAVE)
    served = ask(chat_users["lea"], LEAVE_PARAPHRASE)
    client = client_for(chat_users["lea"])
    url = reverse("chat_conversation", args=[served.conversation_id])
    page = client.get(url).content.decode()
    assert "Answered from the cache (same question asked on" in page
    french = client.get(url, headers={"accept-language": "fr"}).content.decode()
    assert "Réponse tirée du cache (même question posée le" in french
    own = client_for(chat_users["hana"]).get(
        reverse("chat_conversation", args=[original.conversation_id])
    )
    assert "Answered from the cache" not in own.content.decode()


def test_the_cache_command_reports_purges_and_clears(cache_on, chat_users):
    from io import StringIO

    from django.core.management import call_command

    ask(chat_users["hana"], LEAVE)
    ask(chat_users["lea"], LEAVE_PARAPHRASE)
    out = StringIO()
    call_command("cache", "stats", stdout=out)
    assert "entries 1 " in out.getvalue() and "hits 1" in out.getvalue()
    call_command("cache", "purge", stdout=out)
    assert "purged 0 expired entries" in out.getvalue()
    call_command("cache", "clear", stdout=out)
    assert "deleted 1 entries" in out.getvalue()
    assert not CachedAnswer.objects.exists()


def test_a_collection_switched_to_mask_everywhere_stops_unmasked_entries(cache_on, chat_users):
    from ingestion.models import Collection

    original = ask(chat_users["hana"], LEAVE)
    assert CachedAnswer.objects.filter(exchange=original).exists()
    Collection.objects.filter(pk=9101).update(redaction_policy="mask_everywhere")
    again = ask(chat_users["lea"], LEAVE_PARAPHRASE)
    assert again.cached_from_id is None and again.status == Exchange.Status.DONE


def test_a_served_copy_records_route_cache_and_its_machine_cost(cache_on, chat_users):
    ask(chat_users["hana"], LEAVE)
    served = ask(chat_users["lea"], LEAVE_PARAPHRASE)
    assert served.answer_path == Exchange.AnswerPath.CACHE
    assert served.route == "cache"
    assert served.estimated_cost is not None and served.estimated_cost >= 0


def test_a_served_copy_is_audited_with_the_answer_redacted_as_it_would_be(cache_on, chat_users):
    from privacy.models import AuditEvent
    from privacy.redaction import get_redactor

    original = ask(chat_users["hana"], LEAVE)
    served = ask(chat_users["lea"], LEAVE_PARAPHRASE)
    assert served.cached_from_id == original.pk
    events = AuditEvent.objects.filter(action="chat.exchange")
    by_exchange = {e.exchange_public_id: e for e in events}
    fresh = get_redactor().redact(served.answer, language=served.language).text
    assert by_exchange[served.public_id].answer == by_exchange[original.public_id].answer == fresh
