"""Quotations and the citation list through the real parts: PDFs parsed and chunked by the
ingestion service, the real embedder and embedded store, retrieval, quote mode, and the chat page
rendered by the Django test client. A question about leave days quotes the days rule, not the
filing rule beside it; the citation list names each document once with its pages, and every page
opens its own passage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.chat.models import Exchange
from assistant.chat.rendering import cited_documents
from tests.chat.documents import write_pdfs

# The demo's French leave policy (the example: asking about paid-leave days also quoted
# the rule about filing requests, which sits in the same paragraph).
DEMO_LEAVE = Path(__file__).resolve().parents[2] / "ingestion/demo_files/politique-conges.md"
LEAVE_DOCUMENTS = {
    "leave-policy.pdf": [
        "Paid leave. Employees receive 25 days of paid leave per year. Leave requests of more "
        "than 5 days must be filed in the HR tool at least 4 weeks in advance.",
        "Carry-over. At most 5 unused leave days can be carried over until the end of March.",
        "Sick leave. A doctor's note is sent to the HR team within 48 hours.",
    ],
}
QUOTED = re.compile(r"^(?:« |“)(.+?)(?: »|”) \[(\d+)\]$", re.MULTILINE)
LIST = re.compile(r'<ul class="citations"[^>]*>(.*?)</ul>', re.DOTALL)
LINK = re.compile(
    r'<a class="cite-source" href="([^"]+)"[^>]*aria-label="([^"]+)"[^>]*>([^<]+)</a>'
)


@pytest.fixture
def leave_documents(alice, collection_a, settings, tmp_path):
    from assistant.backends.vectorstore_factory import reset_vector_store
    from tests.fixtures.ingestion_jobs import run_queued_jobs, upload

    settings.RAG_RATE_LIMIT_PER_MINUTE = 100000
    reset_vector_store()
    for path in [*write_pdfs(tmp_path / "docs", LEAVE_DOCUMENTS), DEMO_LEAVE]:
        upload(collection_a, path.name, path.read_bytes())
    assert run_queued_jobs() == len(LEAVE_DOCUMENTS) + 1
    yield
    reset_vector_store()


def _quotes(exchange: Exchange) -> list[tuple[str, int]]:
    found = [(" ".join(s.split()), int(n)) for s, n in QUOTED.findall(exchange.answer)]
    assert found, exchange.answer
    for sentence, number in found:  # each quotation cites the passage it was copied from
        snippet = " ".join(exchange.citations.get(number=number).snippet.split())
        assert sentence in snippet
    return found


@pytest.mark.django_db
def test_leave_days_are_quoted_without_the_filing_rule_and_cited_by_document(
    alice, leave_documents, client_for
):
    from assistant.chat.services import answer_question

    english = answer_question(
        user=alice, question="How many days of paid leave do employees get?", mode="quote"
    )
    assert english.answer_path == Exchange.AnswerPath.QUOTE, english.answer
    quoted = [sentence for sentence, _ in _quotes(english)]
    assert quoted == ["Employees receive 25 days of paid leave per year."]
    assert "filed" not in english.answer and "weeks" not in english.answer

    french = answer_question(
        user=alice, question="Combien de jours de congés payés par an ?", mode="quote"
    )
    assert french.answer_path == Exchange.AnswerPath.QUOTE, french.answer
    quoted = [sentence for sentence, _ in _quotes(french)]
    assert len(quoted) == 1 and "soit 30 jours ouvrables (25 jours ouvrés) par an" in quoted[0]
    assert "déposées" not in french.answer and "semaines" not in french.answer

    # The citation list: each document once, its pages as links to their own passages.
    citations = list(english.citations.all())
    by_title: dict[str, list[int]] = {}
    for c in citations:
        by_title.setdefault(c.document_title, []).append(c.number)
    assert len(by_title["leave-policy"]) > 1  # one document, several passages
    client = client_for(alice)
    page = client.get(f"/chat/c/{english.conversation_id}/").content.decode()
    listed = LIST.search(page)
    assert listed, page
    items = re.findall(r"<li[^>]*>(.*?)</li>", listed.group(1), re.DOTALL)
    assert len(items) == len(by_title)
    links_seen = 0
    for title, numbers in by_title.items():
        item = next(i for i in items if f'<span class="cited-title">{title}</span>' in i)
        links = LINK.findall(item)
        assert sorted(int(href.rsplit("/", 1)[1]) for href, _, _ in links) == sorted(numbers)
        paged = title == "leave-policy"  # the PDF has pages; the Markdown file has none
        if paged:
            pages = [int(label.split()[0]) for _, _, label in links]
            assert pages == sorted(pages) and "p. " in item  # "leave-policy — p. 1, 3"
        for href, aria, label in links:
            number = int(href.rsplit("/", 1)[1])
            citation = english.citations.get(number=number)
            panel = client.get(href).content.decode()
            assert f"[{number}] {title}" in panel
            if paged:
                assert aria == f"{title}, page {citation.page}, source {number}"
                assert label.split()[0] == str(citation.page)
                assert f"Page {citation.page}" in panel
            else:
                assert (aria, label) == (f"{title}, source {number}", f"[{number}]")
            links_seen += 1
    assert links_seen == len(citations)
    # The inline [n] of the answer still opens its passage.
    cited = _quotes(english)[0][1]
    assert f'href="/chat/exchanges/{english.public_id}/sources/{cited}"' in page
    assert re.search(rf'<a class="cite" href="[^"]+/sources/{cited}"[^>]*>\[{cited}\]</a>', page)


class _Row:
    def __init__(self, number, title, page, cited=False, document=None):
        self.number, self.document_title, self.page = number, title, page
        self.cited_in_answer, self.document_id_at_answer = cited, document or hash(title)


def test_cited_documents_groups_by_document_in_order_of_first_citation():
    documents = cited_documents(
        [
            _Row(3, "Travel policy.pdf", 7),
            _Row(1, "Travel policy.pdf", 3, cited=True),
            _Row(2, "Expenses.pdf", 2),
            _Row(4, "Travel policy.pdf", 1),
            _Row(5, "Travel policy.pdf", 3),
            _Row(6, "notes.txt", None),
        ]
    )
    assert [d.title for d in documents] == ["Travel policy.pdf", "Expenses.pdf", "notes.txt"]
    travel = documents[0]
    assert [(p.number, p.page) for p in travel.passages] == [(4, 1), (1, 3), (5, 3), (3, 7)]
    # page 3 holds two passages: their links say which is which
    assert [p.label for p in travel.passages] == ["1", "3 [1]", "3 [5]", "7"]
    assert travel.cited and not documents[1].cited
    assert documents[2].passages[0].label == "[6]" and not documents[2].paged
