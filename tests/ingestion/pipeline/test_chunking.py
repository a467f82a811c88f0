"""Structure-aware chunking on hand-built documents."""

from __future__ import annotations

import itertools
import re

import pytest

from ingestion.pipeline.chunk import chunk_document, document_text
from ingestion.pipeline.parse import ParsedDocument, ParsedElement
from tests.fixtures.word_count import count_words


def _doc(*elements: ParsedElement) -> ParsedDocument:
    return ParsedDocument(list(elements), "text/plain", None, "t", "en")


def _chunks(doc: ParsedDocument, target: int = 40, overlap: int = 10):
    chunks = chunk_document(
        doc, target_tokens=target, overlap_tokens=overlap, count_tokens=count_words
    )
    text = document_text(doc)
    for chunk in chunks:
        assert text[chunk.char_start : chunk.char_end] == chunk.text
    return chunks


SENTENCES = [f"Rule {i} states that employees receive {i} extra days off." for i in range(20)]


def test_chunks_never_cut_a_sentence_and_respect_the_target():
    doc = _doc(ParsedElement(" ".join(SENTENCES), "text", 1, []))
    chunks = _chunks(doc)
    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk.token_count <= 40
        assert chunk.text.startswith("Rule ") and chunk.text.endswith("days off.")


def test_consecutive_chunks_overlap_by_whole_sentences():
    doc = _doc(ParsedElement(" ".join(SENTENCES), "text", 1, []))
    chunks = _chunks(doc, target=40, overlap=10)
    for previous, following in itertools.pairwise(chunks):
        last_sentence = previous.text.rsplit("Rule ", 1)[1]
        assert following.text.startswith("Rule " + last_sentence)
        assert following.char_start < previous.char_end


def test_titles_start_chunks_and_set_the_heading_path():
    body = " ".join(SENTENCES[:6])
    doc = _doc(
        ParsedElement("Leave", "title", 1, ["Leave"]),
        ParsedElement(body, "text", 1, ["Leave"]),
        ParsedElement("Expenses", "title", 2, ["Expenses"]),
        ParsedElement("Meals are paid up to 30 euros.", "text", 2, ["Expenses"]),
    )
    chunks = _chunks(doc, target=200)
    assert [chunk.heading_path for chunk in chunks] == [["Leave"], ["Expenses"]]
    assert chunks[1].text.startswith("Expenses") and chunks[1].page_start == 2


def test_a_small_intro_shares_its_chunk_with_its_subsection():
    doc = _doc(
        ParsedElement("Handbook", "title", 1, ["Handbook"]),
        ParsedElement("Read this first.", "text", 1, ["Handbook"]),
        ParsedElement("Leave", "title", 2, ["Handbook", "Leave"], 1),
        ParsedElement("You get 25 days.", "text", 2, ["Handbook", "Leave"]),
    )
    [chunk] = _chunks(doc, target=100)
    assert chunk.heading_path == ["Handbook"]
    assert (chunk.page_start, chunk.page_end) == (1, 2)


def test_a_title_is_never_left_alone_at_the_end_of_a_chunk():
    doc = _doc(
        ParsedElement(" ".join(SENTENCES[:3]), "text", 1, []),
        ParsedElement("Carry over", "title", 2, ["Carry over"]),
        ParsedElement(" ".join(SENTENCES[3:12]), "text", 2, ["Carry over"]),
    )
    chunks = _chunks(doc, target=40, overlap=0)
    assert all(chunk.text != "Carry over" for chunk in chunks)
    assert chunks[1].text.startswith("Carry over\n\nRule 3")


def test_small_tables_stay_whole_and_big_ones_split_between_rows():
    small = "Country | Allowance\nFrance | 45\nGermany | 50"
    big = "\n".join(f"Row {i} | value {i} | note {i}" for i in range(40))
    doc = _doc(
        ParsedElement(" ".join(SENTENCES[:3]), "text", 1, []),
        ParsedElement(small, "table", 1, []),
        ParsedElement(big, "table", 2, []),
    )
    chunks = _chunks(doc, target=30, overlap=0)
    assert any(small in chunk.text for chunk in chunks)
    assert len([chunk for chunk in chunks if "Row " in chunk.text]) > 1
    for chunk in chunks:
        for line in chunk.text.split("\n"):
            if "Row " in line:
                assert re.fullmatch(r"Row (\d+) \| value \1 \| note \1", line), line


def test_french_abbreviations_do_not_end_sentences():
    text = "M. Dupont valide les congés, etc. Le salarié envoie sa demande. Mme. Martin répond."
    doc = _doc(ParsedElement(text, "text", 1, []))
    chunks = _chunks(doc, target=9, overlap=0)
    assert [chunk.text for chunk in chunks] == [
        "M. Dupont valide les congés, etc.",
        "Le salarié envoie sa demande. Mme. Martin répond.",
    ]


def test_an_endless_sentence_is_cut_between_words():
    doc = _doc(ParsedElement("word " * 500, "text", 3, []))
    chunks = _chunks(doc, target=50, overlap=0)
    assert len(chunks) >= 10
    assert all(chunk.token_count <= 50 and chunk.page_start == 3 for chunk in chunks)
    assert sum(chunk.token_count for chunk in chunks) == 500


def test_target_must_be_sensible():
    with pytest.raises(ValueError, match="target_tokens"):
        chunk_document(
            _doc(ParsedElement("x", "text", None, [])),
            target_tokens=2,
            overlap_tokens=0,
            count_tokens=count_words,
        )
