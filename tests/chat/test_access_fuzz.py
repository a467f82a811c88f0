"""Access-control fuzz: randomised (user, question, requested collections) cases. Every chunk that
comes back, from the vector store and in the rendered page, belongs to a collection the user may
read; requested ids the user may not read are dropped; stale, failed and orphan points never
surface."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.test import Client

from assistant.chat.retrieval import retrieve
from ingestion.selectors import readable_collection_ids
from tests.fixtures.chat_corpus import COLLECTIONS, DOCS, QUESTIONS, marker_of

MARKERS = {marker_of(d): d for d in DOCS} | {"ORPHAN9299": None}
NEVER = {"STALEDOC9241", "FAILEDDOC9242", "ORPHAN9299"}
ALL_IDS = [*COLLECTIONS, 999999]  # plus an id that does not exist


def _requested(rng: random.Random) -> list[int] | None:
    roll = rng.random()
    if roll < 0.2:
        return None  # all readable
    return rng.sample(ALL_IDS, rng.randint(1, len(ALL_IDS)))


@pytest.mark.django_db
def test_retrieval_never_returns_unreadable_chunks(chat_users):
    rng = random.Random(20261125)
    users = list(chat_users.values())
    readable = {u.pk: set(readable_collection_ids(u)) for u in users}
    cases = 0
    asked_forbidden = 0
    for _ in range(1000):
        user = rng.choice(users)
        question = rng.choice(QUESTIONS)
        if rng.random() < 0.3:
            question = question + " " + rng.choice(QUESTIONS)
        requested = _requested(rng)
        if requested and set(requested) - readable[user.pk]:
            asked_forbidden += 1
        result = retrieve(user=user, question=question, collection_ids=requested, min_score=0.0)
        allowed = readable[user.pk] & (set(requested) if requested else readable[user.pk])
        assert set(result.searched_collection_ids) == allowed
        # Vector-store layer: what the store returned.
        for hit in result.raw_hits:
            assert hit.payload["collection_id"] in allowed, (user.username, requested, hit)
        # After the database re-check.
        for passage in result.passages:
            assert passage.collection_id in allowed
            assert not any(marker in passage.text for marker in NEVER), passage.text
        cases += 1
    assert cases == 1000
    assert asked_forbidden > 200  # the fuzz really asked for collections users may not read


@pytest.mark.django_db
def test_rendered_pages_never_show_unreadable_passages(chat_users, settings):
    """Through the web: ask (with forged collection ids), stream, open every source panel."""
    rng = random.Random(7)
    users = list(chat_users.values())
    clients = {}
    for user in users:
        client = Client()
        client.force_login(user)
        clients[user.pk] = client
    readable = {u.pk: set(readable_collection_ids(u)) for u in users}
    shown = 0
    for _ in range(1000):
        user = rng.choice(users)
        client = clients[user.pk]
        requested = _requested(rng) or []
        response = client.post(
            "/chat/ask",
            {"question": rng.choice(QUESTIONS), "collections": [str(x) for x in requested]},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        html = response.content.decode()
        stream_url = html.split('sse-connect="', 1)[1].split('"', 1)[0]
        stream: Any = client.get(stream_url)
        streamed = b"".join(stream.streaming_content).decode()
        pages = [html, streamed]
        public_id = stream_url.split("/")[3]
        for number in range(1, streamed.count('class="cite-source"') + 1):
            panel = client.get(f"/chat/exchanges/{public_id}/sources/{number}")
            assert panel.status_code == 200
            pages.append(panel.content.decode())
        allowed = readable[user.pk] & (set(requested) if requested else readable[user.pk])
        text = "\n".join(pages)
        for marker, doc in MARKERS.items():
            if marker in text:
                shown += 1
                assert doc is not None and doc.collection_pk in allowed, (user.username, marker)
                assert marker not in NEVER
    assert shown > 150  # the pages really showed passages (many cases are refusals)


@pytest.mark.django_db
def test_a_user_cannot_search_a_collection_by_forging_its_id(chat_users):
    hana = chat_users["hana"]  # reads hr only
    result = retrieve(
        user=hana, question="What is the marketing budget for 2026?",
        collection_ids=[9102], min_score=0.0,
    )  # fmt: skip
    assert result.searched_collection_ids == []
    assert result.passages == [] and result.raw_hits == []
    nora = chat_users["nora"]
    assert retrieve(user=nora, question="leave", min_score=0.0).passages == []


@pytest.mark.django_db
def test_revoked_access_hides_old_sources_and_files(chat_users, client_for):
    from assistant.chat.services import answer_question
    from ingestion.models import Collection

    lea = chat_users["lea"]
    exchange = answer_question(user=lea, question="How many signatures does a large contract need?")
    citation = exchange.citations.get(number=1)
    assert citation.collection_id_at_answer == 9103
    client = client_for(lea)
    assert client.get(f"/chat/exchanges/{exchange.public_id}/sources/1").status_code == 200
    Collection.objects.get(pk=9103).reader_users.remove(lea)
    assert client.get(f"/chat/exchanges/{exchange.public_id}/sources/1").status_code == 403
    page = client.get(f"/chat/c/{exchange.conversation_id}/").content.decode()
    assert "LEGDOC9221" not in page
    assert client.get(f"/chat/documents/{citation.document_id_at_answer}/file").status_code == 404
