"""Turning model output and document passages into safe HTML, and citations into the list shown
under an answer.

No raw HTML from the model or from documents ever reaches the page: answers go through markdown
and then nh3 with a short allow-list (no links, no images, no attributes), and only after that do
we add our own citation links; passages are escaped and only our <mark> is added. The citation
list names each document once with its pages, each page linking to its own passage
(cited_documents()).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import nh3
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote",
    "h3", "h4", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_CITATION = re.compile(r"\[(\d{1,3})\]")
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")


def render_answer(
    text: str,
    *,
    exchange_public_id: str,
    valid_numbers: Iterable[int],
    sentences: Sequence[dict[str, Any]] = (),
) -> SafeString:
    """Sanitised markdown; [n] for a given source becomes a link that opens the source panel.

    `sentences` (the stored verification's sentence checks: start/end offsets in `text`, status,
    best_passage, best_span, unsupported_terms) wrap each checked sentence in
    <span class="sentence supported|weak|unsupported" ...> built here, never from the text.
    """
    import markdown

    valid = set(valid_numbers)
    marked = _with_markers(text, sentences)
    # "<" is escaped first: raw HTML is never markdown's to pass through, and redaction
    # placeholders such as <PERSON_1> stay visible instead of being stripped as unknown tags.
    html = markdown.markdown(
        marked.replace("<", "&lt;"), extensions=["tables"], output_format="html"
    )
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes={}, link_rel=None)
    if sentences:
        clean = _sentence_spans(clean, sentences, exchange_public_id, valid)

    def link(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number not in valid:
            return match.group(0)
        url = reverse("chat_source", args=[exchange_public_id, number])
        return str(
            format_html(
                '<a class="cite" href="{}" hx-get="{}" hx-target="#source-panel" '
                'hx-push-url="false">[{}]</a>',
                url,
                url,
                number,
            )
        )

    return mark_safe(_CITATION.sub(link, clean))  # noqa: S308 - nh3-cleaned, our own links only


_MARKERS = re.compile("[\ue000-\ue002]")
_OPEN = re.compile("\ue000(\\d+)\ue001")
_CLOSE = "\ue002"
# Markdown block markers a sentence may start with ("- ", "1. ", "## ", "> "): the span opens
# after them, or markdown would no longer see the list item or heading.
_LEADING = re.compile(r"(?:[ \t]*(?:[-*+]|\d{1,3}[.)]|#{1,6}|>)[ \t]+)+")
SENTENCE_ATTRIBUTES = {
    "class", "title", "data-status", "data-passage", "data-start", "data-end", "data-source",
    "tabindex",
}  # fmt: skip


def _with_markers(text: str, sentences: Sequence[dict[str, Any]]) -> str:
    """`text` with private-use markers around each sentence (markdown leaves them alone)."""
    if not sentences:
        return text
    text = _MARKERS.sub("\ufffd", text)  # same length: the offsets stay right
    inserts: list[tuple[int, int, str]] = []
    for index, sentence in enumerate(sentences):
        start, end = int(sentence.get("start", -1)), int(sentence.get("end", -1))
        if not 0 <= start < end <= len(text):
            continue
        if start == 0 or text[start - 1] == "\n":
            leading = _LEADING.match(text, start)
            if leading and leading.end() < end:
                start = leading.end()
        inserts += [(end, 0, _CLOSE), (start, 1, f"\ue000{index}\ue001")]
    for position, _kind, marker in sorted(inserts, reverse=True):
        text = text[:position] + marker + text[position:]
    return text


def _sentence_spans(
    html: str, sentences: Sequence[dict[str, Any]], exchange_public_id: str, valid: set[int]
) -> str:
    from django.utils.translation import gettext as _

    def opening(match: re.Match[str]) -> str:
        sentence = sentences[int(match.group(1))]
        status = sentence.get("status", "unsupported")
        if status not in ("supported", "weak", "unsupported"):
            status = "unsupported"
        passage = sentence.get("best_passage")
        span = sentence.get("best_span")
        terms = [str(t) for t in sentence.get("unsupported_terms") or []]
        if status == "unsupported":
            title = (
                _("Not found in the sources: %(terms)s") % {"terms": ", ".join(terms)}
                if terms
                else _("Not backed by the sources.")
            )
        elif status == "weak":
            title = _("Weakly backed by source %(n)s.") % {"n": passage}
        else:
            title = _("Backed by source %(n)s: click to see the passage.") % {"n": passage}
        title = title.replace("[", "(").replace("]", ")")  # citation links are added later
        if passage in valid and span:
            start, end = int(span[0]), int(span[1])
            url = reverse("chat_source", args=[exchange_public_id, passage])
            source = f"{url}?start={start}&end={end}"
            return str(
                format_html(
                    '<span class="sentence {}" data-status="{}" title="{}" data-passage="{}" '
                    'data-start="{}" data-end="{}" data-source="{}" tabindex="0">',
                    status, status, title, passage, start, end, source,
                )
            )  # fmt: skip
        return str(
            format_html(
                '<span class="sentence {}" data-status="{}" title="{}">', status, status, title
            )
        )

    html = _OPEN.sub(opening, html).replace(_CLOSE, "</span>")
    html = _MARKERS.sub("", html)
    # A sentence crossing a block boundary would leave mis-nested tags: re-parse to repair them.
    return str(
        nh3.clean(
            html,
            tags=ALLOWED_TAGS | {"span"},
            attributes={"span": SENTENCE_ATTRIBUTES},
            link_rel=None,
        )
    )


def highlight_span(passage: str, start: int, end: int) -> SafeString | None:
    """Escaped passage with [start, end) in <mark>, or None when the span does not fit it."""
    if not 0 <= start < end <= len(passage):
        return None
    return format_html("{}<mark>{}</mark>{}", passage[:start], passage[start:end], passage[end:])


def highlight_passage(passage: str, query: str) -> SafeString:
    """Escaped passage with the sentence sharing most terms with `query` wrapped in <mark>."""
    from assistant.backends.lexical import terms

    wanted = set(terms(query))
    pieces = [p for p in _SENTENCE.split(passage) if p.strip()]
    if not pieces or not wanted:
        return escape(passage)
    scores = [len(wanted & set(terms(piece))) for piece in pieces]
    best = max(range(len(pieces)), key=lambda i: scores[i])
    if scores[best] == 0:
        return escape(passage)
    target = pieces[best]
    start = passage.find(target)
    if start < 0:
        return escape(passage)
    end = start + len(target)
    return format_html("{}<mark>{}</mark>{}", passage[:start], passage[start:end], passage[end:])


@dataclass(frozen=True)
class CitedPassage:
    number: int  # the [n] of the answer and of /chat/exchanges/<id>/sources/<n>
    page: int | None
    cited: bool  # the answer cites it (not only retrieved)
    label: str  # the link's text: the page, with [n] when the page alone is ambiguous


@dataclass
class CitedDocument:
    title: str
    passages: list[CitedPassage] = field(default_factory=list)

    @property
    def cited(self) -> bool:
        return any(p.cited for p in self.passages)

    @property
    def paged(self) -> bool:
        return any(p.page is not None for p in self.passages)


def cited_documents(citations: Iterable[Any]) -> list[CitedDocument]:
    """The citations of an exchange grouped by document ("Travel policy.pdf — p. 1, 3, 7").

    Documents come in the order of their first (most relevant) citation number, each once; its
    passages are sorted by page, then number. A page that several passages share, and a passage
    without a page, are labelled with their [n] as well, so every link is told apart. `citations`
    are Citation rows (or anything with number, page, document_title, document_id_at_answer and
    cited_in_answer).
    """
    documents: dict[Any, CitedDocument] = {}
    rows: dict[Any, list[Any]] = {}
    for citation in sorted(citations, key=lambda c: c.number):
        key = citation.document_id_at_answer or citation.document_title
        documents.setdefault(key, CitedDocument(citation.document_title))
        rows.setdefault(key, []).append(citation)
    for key, document in documents.items():
        pages = [c.page for c in rows[key]]
        for c in sorted(rows[key], key=lambda c: (c.page is None, c.page or 0, c.number)):
            if c.page is None:
                label = f"[{c.number}]"
            elif pages.count(c.page) > 1:
                label = f"{c.page} [{c.number}]"
            else:
                label = str(c.page)
            document.passages.append(CitedPassage(c.number, c.page, bool(c.cited_in_answer), label))
    return list(documents.values())
