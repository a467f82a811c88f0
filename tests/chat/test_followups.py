"""Follow-up questions retrieve with their context (assistant.chat.followup): rewritten into a
standalone question before retrieval, stored on the exchange, shown on hover, audited redacted and
used as the semantic cache key. Real embedder, embedded store and Presidio on the synthetic chat
corpus; quote mode (no model) unless a test selects the fake rewriting model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from assistant.backends.llm_factory import register_llm_backend, reset_llm
from assistant.backends.model_registry import KNOWN_MODELS, current_model_spec
from assistant.chat.followup import is_followup, rewrite_followup
from assistant.chat.models import CachedAnswer, Exchange
from assistant.chat.retrieval import retrieve
from assistant.chat.semantic_cache.terms import key_terms
from assistant.chat.services import answer_question
from privacy.selectors import exchange_event

pytestmark = pytest.mark.django_db

LAPTOP = "How fast is a broken laptop replaced?"
WHO = "And who does it?"

register_llm_backend("fake-rewriter", "tests.fakes.rewriter.RewritingFakeLLM", in_process=True)


def ask(user, question, conversation=None, mode="quote"):
    return answer_question(user=user, question=question, conversation=conversation, mode=mode)


def cited_documents(exchange):
    return set(exchange.citations.values_list("document_id_at_answer", flat=True))


def test_a_followup_retrieves_the_passage_its_first_turn_pointed_to(chat_users):
    ivan = chat_users["ivan"]
    first = ask(ivan, LAPTOP)
    assert first.status == Exchange.Status.DONE and 9232 in cited_documents(first)

    # On its own words the follow-up does not find the laptop passage (the test would not
    # show anything otherwise).
    alone = retrieve(user=ivan, question=WHO, collection_ids=[9104], language="en")
    assert 9232 not in {p.document_id for p in alone.passages[:1]}

    followup = ask(ivan, WHO, conversation=first.conversation)
    assert followup.retrieval_query and "laptop" in followup.retrieval_query
    assert followup.metrics["followup_rewrite"] == "carry-over"
    assert followup.status == Exchange.Status.DONE
    top = followup.citations.order_by("number").first()
    assert top is not None and top.document_id_at_answer == 9232
    assert "IT desk" in followup.answer


def test_a_new_subject_takes_the_place_of_the_old_one(chat_users):
    ivan = chat_users["ivan"]
    first = ask(ivan, "What is the marketing budget for 2026?")
    followup = ask(ivan, "And what about 2027?", conversation=first.conversation)
    assert followup.retrieval_query == "What is the marketing budget for 2027?"
    assert followup.citations.order_by("number").first().document_id_at_answer == 9212


def test_a_standalone_question_in_a_conversation_is_not_rewritten(chat_users):
    ivan = chat_users["ivan"]
    first = ask(ivan, LAPTOP)
    second = ask(ivan, "Is multi-factor authentication required for the VPN?", first.conversation)
    assert second.retrieval_query == ""
    assert "followup_rewrite" not in second.metrics
    assert 9231 in cited_documents(second)


@pytest.mark.parametrize(
    "question",
    [
        "and for London?",
        "et pour Lyon ?",
        "what about contractors?",
        "Et combien de personnes y travaillent ?",
        "Since when?",
        "Also for interns?",
        "Does that apply to managers?",
    ],
)
def test_followups_are_detected_in_both_languages(question):
    assert is_followup(question)


@pytest.mark.parametrize(
    "question",
    [
        "How many days of paid annual leave do employees get?",
        "Quel préavis pour résilier un contrat fournisseur ?",
        "Is it possible to carry over unused leave days until March?",
        "And what is the deadline to submit expense reports this year?",
        "Combien de jours de congés payés par an ?",
        "Y a-t-il une indemnité de transport ?",
    ],
)
def test_standalone_questions_are_left_alone(question):
    assert not is_followup(question)
    assert rewrite_followup(question, previous=[LAPTOP], language="en", use_model=False) is None


def test_carry_over_in_french_and_english():
    def rewritten(question, previous, language):
        found = rewrite_followup(question, previous=[previous], language=language, use_model=False)
        assert found is not None and found.method == "carry-over"
        return found.query

    assert rewritten("and for London?", "What is the hotel ceiling in Paris?", "en") == (
        "What is the hotel ceiling in London?"
    )
    assert rewritten("et pour Lyon ?", "Quel est le plafond hôtelier à Paris ?", "fr") == (
        "Quel est le plafond hôtelier à Lyon ?"
    )
    assert rewritten("Et pour le service juridique ?", "Qui dirige le service finance ?", "fr") == (
        "Qui dirige le service juridique ?"
    )
    aspect = rewritten("And how many people work there?", "Who heads the finance team?", "en")
    assert aspect.startswith("How many people work there?") and "finance" in aspect


def test_the_rewritten_query_is_audited_redacted(chat_users):
    hana = chat_users["hana"]
    first = ask(hana, "Can Marie Dupont carry over unused leave days?")
    followup = ask(hana, "And until when?", conversation=first.conversation)
    assert "Marie Dupont" in followup.retrieval_query
    event = exchange_event(followup.public_id)
    assert event is not None
    audited = event.data["retrieval_query"]
    assert audited and "Dupont" not in audited and "leave" in audited
    # The placeholder is the one the same person gets in this exchange's other text.
    assert "<" in audited
    assert not CachedAnswer.objects.filter(exchange=followup).exists()  # personal data
    standalone = exchange_event(first.public_id)
    assert standalone is not None and standalone.data["retrieval_query"] == ""


def test_the_rewritten_query_shows_on_hover(chat_users, client_for):
    ivan = chat_users["ivan"]
    first = ask(ivan, LAPTOP)
    followup = ask(ivan, WHO, conversation=first.conversation)
    page = client_for(ivan).get(f"/chat/c/{first.conversation_id}/").content.decode()
    assert f'title="Searched as: {followup.retrieval_query}"' in page.replace("&#x27;", "'")
    assert page.count('class="rewritten"') == 1  # not on the standalone first question
    french = (
        client_for(ivan)
        .get(f"/chat/c/{first.conversation_id}/", HTTP_ACCEPT_LANGUAGE="fr")
        .content.decode()
    )
    assert "Recherché comme : " in french


def test_a_rewritten_followup_is_cached_and_served_by_its_rewritten_query(chat_users, settings):
    settings.RAG_CACHE_ENABLED = True
    settings.RAG_CACHE_TTL_HOURS = 24
    settings.RAG_REVIEW_SAMPLE_RATE = 0
    ivan, felix = chat_users["ivan"], chat_users["felix"]
    from assistant.accounts.services import collection_grant

    collection_grant(collection_slug="it", username="felix")
    first = ask(ivan, LAPTOP)
    followup = ask(ivan, WHO, conversation=first.conversation)
    entry = CachedAnswer.objects.get(exchange=followup)
    assert entry.key_terms == key_terms(followup.retrieval_query, "en")
    assert entry.key_terms != key_terms(WHO, "en")

    # Another reader has the same conversation: the follow-up is looked up by its rewritten form.
    again = ask(felix, LAPTOP)
    served = ask(felix, WHO, conversation=again.conversation)
    assert served.retrieval_query == followup.retrieval_query
    assert served.answer_path == Exchange.AnswerPath.CACHE
    assert served.cached_from_id == followup.pk


@pytest.fixture
def rewriting_model(settings, monkeypatch, corpus):
    """The fake model as the configured one, and the registry saying it can rewrite."""
    settings.RAG_LLM_BACKEND = "fake-rewriter"
    reset_llm()
    name = Path(settings.RAG_MODEL_PATH).name
    monkeypatch.setitem(KNOWN_MODELS, name, replace(current_model_spec(), can_rewrite=True))
    yield settings
    reset_llm()


def test_a_capable_model_rewrites_the_followup(rewriting_model, chat_users):
    rewriting_model.RAG_FAKE_LLM_REPLY = "Who replaces a broken laptop?"
    ivan = chat_users["ivan"]
    first = ask(ivan, LAPTOP)
    followup = ask(ivan, WHO, conversation=first.conversation)
    assert followup.retrieval_query == "Who replaces a broken laptop?"
    assert followup.metrics["followup_rewrite"] == "model"
    from assistant.backends.llm_factory import get_llm

    prompt = get_llm().prompts[-1]  # type: ignore[attr-defined]
    assert LAPTOP in prompt and WHO in prompt


def test_an_unavailable_model_falls_back_to_the_carry_over(rewriting_model, chat_users):
    rewriting_model.RAG_FAKE_LLM_FAILS = True
    ivan = chat_users["ivan"]
    first = ask(ivan, LAPTOP)
    followup = ask(ivan, WHO, conversation=first.conversation)
    assert followup.metrics["followup_rewrite"] == "carry-over"
    assert "laptop" in followup.retrieval_query


def test_a_model_the_registry_does_not_flag_is_never_asked(settings, chat_users):
    settings.RAG_LLM_BACKEND = "fake-rewriter"  # could rewrite, but SmolLM2 is configured
    reset_llm()
    assert not current_model_spec().can_rewrite
    ivan = chat_users["ivan"]
    first = ask(ivan, LAPTOP)
    followup = ask(ivan, WHO, conversation=first.conversation)
    assert followup.metrics["followup_rewrite"] == "carry-over"
    from assistant.backends.llm_factory import get_llm

    assert get_llm().prompts == []  # type: ignore[attr-defined]
    reset_llm()
