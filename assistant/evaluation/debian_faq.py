"""Question sets from the Debian FAQ (Debian's debian-faq and debian-faq-fr packages): questions
that people outside this project wrote, with the answers they wrote, in English and French.

Each numbered section of the plain-text FAQ ("9.2. Do I have to go into single user mode in
order to upgrade a package?") is one document: its answer text, with its sub-sections, without
its own heading. Every heading that asks a question (it holds a "?") is a query whose relevant
document is its own section. The translations keep the numbering, so the same section number
pairs a French question with the English answer, and the reverse (cross-lingual sets).

Nothing is templated here, so these sets are the honest check of figures measured on our own
generated sets: retrieval, and false refusals of answerable questions per language.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from assistant.evaluation.dataset import EvalDocument, EvalSet, group_queries

FAQ_DIR = Path("/usr/share/doc/debian/FAQ")
FILES = {"en": "debian-faq.en.txt.gz", "fr": "debian-faq.fr.txt.gz"}
# A section heading starts at column 0: "9.2. Text" (chapters "9. Text" only in the contents).
_HEADING = re.compile(r"^(\d+\.\d+(?:\.\d+)*)\.\s+(\S.*)$")
_CHAPTER = re.compile(r"^(?:Chapter|Chapitre)\s+\d+\.", re.IGNORECASE)
MIN_ANSWER_WORDS = 12


@dataclass(frozen=True)
class FaqSection:
    number: str  # "9.2"
    heading: str  # the question (or title), on one line
    answer: str  # the section's text and its sub-sections', without this heading


def parse_faq(text: str) -> list[FaqSection]:
    """Sections (N.M) of a plain-text Debian FAQ, in order. Sub-sections (N.M.K) are folded into
    their section: they carry its answer ("9.1 How can I keep my system current?" is answered in
    9.1.1 aptitude, 9.1.2 apt-get...)."""
    lines = text.splitlines()
    # The contents list every heading indented; the body starts at the first chapter line.
    start = next((i for i, line in enumerate(lines) if _CHAPTER.match(line)), 0)
    sections: list[tuple[str, list[str], list[str]]] = []  # number, heading lines, body lines
    in_heading = False
    for line in lines[start:]:
        match = _HEADING.match(line)
        if match and match.group(1).count(".") == 1:
            sections.append((match.group(1), [match.group(2)], []))
            in_heading = True
            continue
        if not sections or _CHAPTER.match(line):
            in_heading = False
            continue
        number, heading, body = sections[-1]
        if in_heading and line.strip() and not line.startswith(" "):
            heading.append(line.strip())  # a heading wrapped over several lines
            continue
        in_heading = False
        body.append(line)
    result = []
    for number, heading, body in sections:
        answer = "\n".join(line.strip() for line in body).strip()
        result.append(FaqSection(number, " ".join(" ".join(heading).split()), answer))
    return result


def read_faq(language: str, root: Path = FAQ_DIR) -> list[FaqSection]:
    path = root / FILES[language]
    if not path.is_file():
        package = "debian-faq" if language == "en" else f"debian-faq-{language}"
        raise FileNotFoundError(f"{path} not found: install Debian's {package}")
    return parse_faq(gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace"))


def _usable(section: FaqSection) -> bool:
    return len(section.answer.split()) >= MIN_ANSWER_WORDS


def _set(
    name: str,
    questions: dict[str, FaqSection],
    answers: dict[str, FaqSection],
    *,
    language: str,
    query_language: str,
    source: Path,
) -> EvalSet:
    eval_set = EvalSet(name, language, str(source), query_language=query_language)
    ids: dict[str, int] = {}
    for number, section in answers.items():
        ids[number] = len(eval_set.documents) + 1
        eval_set.documents.append(EvalDocument(ids[number], number, section.answer))
    eval_set.queries = group_queries(
        [
            (number, section.heading, ids[number])
            for number, section in questions.items()
            if "?" in section.heading and number in ids
        ]
    )
    return eval_set


def build_faq_sets(root: Path = FAQ_DIR) -> list[EvalSet]:
    """faq-fr and faq-en (questions over the answers of their own language), then faq-fr>en and
    faq-en>fr (each question over the other language's answers, paired by section number).
    Raises FileNotFoundError when a package is missing."""
    sections = {lang: {s.number: s for s in read_faq(lang, root) if _usable(s)} for lang in FILES}
    common = sorted(set(sections["fr"]) & set(sections["en"]), key=_number_key)
    fr = {n: sections["fr"][n] for n in common}
    en = {n: sections["en"][n] for n in common}
    return [
        _set("debian-faq-fr", fr, fr, language="fr", query_language="fr", source=root),
        _set("debian-faq-en", en, en, language="en", query_language="en", source=root),
        _set("debian-faq-fr>en", fr, en, language="en", query_language="fr", source=root),
        _set("debian-faq-en>fr", en, fr, language="fr", query_language="en", source=root),
    ]


def _number_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split("."))
