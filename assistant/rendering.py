"""Turning model output and document passages into safe HTML.

No raw HTML from the model or from documents ever reaches the page: answers go through markdown
and then nh3 with a short allow-list (no links, no images, no attributes), and only after that do
we add our own citation links; passages are escaped and only our <mark> is added.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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
    text: str, *, exchange_public_id: str, valid_numbers: Iterable[int]
) -> SafeString:
    """Sanitised markdown; [n] for a given source becomes a link that opens the source panel."""
    import markdown

    # "<" is escaped first: raw HTML is never markdown's to pass through, and redaction
    # placeholders such as <PERSON_1> stay visible instead of being stripped as unknown tags.
    html = markdown.markdown(text.replace("<", "&lt;"), extensions=["tables"], output_format="html")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes={}, link_rel=None)
    valid = set(valid_numbers)

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
