"""The French catalog: complete, compiled, placeholders intact, and used by the pages.

One catalog, assistant/locale/fr/LC_MESSAGES/django.po, serves every app: Django merges the
catalogs of all installed apps, so the strings of templates/, ingestion/ and privacy/ live there too.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

LC_MESSAGES = Path(__file__).resolve().parents[2] / "assistant" / "locale" / "fr" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"

# %(name)s / %(n)d, bare %s / %d, and str.format fields {name}.
PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[sdifr]|%[sdifr]|\{[A-Za-z_]?\w*\}")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)


def _parse_po(path: Path) -> list[Entry]:
    """A small PO reader (no polib needed): flags, msgid, msgid_plural, msgstr / msgstr[i]."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            entry, target = None, None
            continue
        assert not line.startswith("#~"), (
            f"{path.name}:{number}: obsolete entry left in the catalog"
        )
        if entry is None:
            entry = Entry(line=number)
            entries.append(entry)
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert target is not None, f"{path.name}:{number}: continuation without a keyword"
            _append(entry, target, ast.literal_eval(line))
        else:
            keyword, _, value = line.partition(" ")
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if match:
                target = ("msgstr", int(match.group(1)))
            elif keyword in ("msgid", "msgid_plural", "msgstr"):
                target = (keyword, 0)
            else:
                raise AssertionError(f"{path.name}:{number}: unexpected line {raw!r}")
            _set(entry, target, "")
            _append(entry, target, ast.literal_eval(value))
    return entries


def _set(entry: Entry, target: tuple[str, int], value: str) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index] = value
    else:
        setattr(entry, name, value)


def _append(entry: Entry, target: tuple[str, int], text: str) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index] += text
    else:
        setattr(entry, name, (getattr(entry, name) or "") + text)


def _messages() -> list[Entry]:
    return [entry for entry in _parse_po(PO) if entry.msgid]


def _catalog_of_po() -> dict[object, str]:
    """The .po as GNUTranslations._catalog shapes it: msgid, or (msgid, index) for plurals."""
    catalog: dict[object, str] = {}
    for entry in _messages():
        if entry.msgid_plural is None:
            catalog[entry.msgid] = entry.msgstr[0]
        else:
            for index, text in entry.msgstr.items():
                catalog[(entry.msgid, index)] = text
    return catalog


def _catalog_of_mo(path: Path) -> dict[object, str]:
    with path.open("rb") as handle:
        catalog = dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]
    catalog.pop("", None)  # the header
    return catalog


def test_po_header_is_french_utf8():
    header = next(entry for entry in _parse_po(PO) if entry.msgid == "")
    text = header.msgstr[0]
    assert "Language: fr\n" in text
    assert "Content-Type: text/plain; charset=UTF-8\n" in text
    assert "Plural-Forms: nplurals=2; plural=(n > 1);\n" in text
    assert "fuzzy" not in header.flags


def test_no_empty_or_fuzzy_translation():
    messages = _messages()
    assert len(messages) > 200
    fuzzy = [entry.msgid for entry in messages if "fuzzy" in entry.flags]
    empty = [
        entry.msgid
        for entry in messages
        if not entry.msgstr or any(not text for text in entry.msgstr.values())
    ]
    plurals = [
        entry.msgid
        for entry in messages
        if entry.msgid_plural is not None and sorted(entry.msgstr) != [0, 1]
    ]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    assert not empty, f"untranslated entries: {empty}"
    assert not plurals, f"French needs exactly msgstr[0] and msgstr[1]: {plurals}"


def test_placeholders_match():
    wrong = []
    for entry in _messages():
        for index, text in entry.msgstr.items():
            source = entry.msgid if index == 0 or entry.msgid_plural is None else entry.msgid_plural
            if Counter(PLACEHOLDER.findall(source)) != Counter(PLACEHOLDER.findall(text)):
                wrong.append((source, text))
    assert not wrong, f"placeholders differ between msgid and msgstr: {wrong}"


def test_mo_is_compiled_from_the_current_po():
    """File dates say nothing after a git checkout, so the compiled catalog is compared instead."""
    assert MO.exists(), "run: msgfmt --check -o django.mo django.po"
    assert _catalog_of_mo(MO) == _catalog_of_po(), (
        "django.mo is out of date: run msgfmt --check -o django.mo django.po in " + str(LC_MESSAGES)
    )


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_po_compiles_with_msgfmt_check(tmp_path):
    compiled = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(compiled), str(PO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert _catalog_of_mo(compiled) == _catalog_of_mo(MO)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "user", "english", "french"),
    [
        ("/chat/", "alice", "Quotes only", "Citations uniquement"),
        ("kpi_dashboard", "carl", "KPI dashboard", "Tableau de bord des indicateurs"),
        # a chart title, built in Python (assistant/kpi/dashboard.py)
        (
            "kpi_dashboard",
            "carl",
            "Generation speed (tokens/s)",
            "Vitesse de génération (jetons/s)",
        ),
        ("review_queue", "carl", "Review queue", "File de revue"),
    ],
)
def test_pages_are_translated(request, client_for, page, user, english, french):
    url = page if page.startswith("/") else reverse(page)
    client = client_for(request.getfixturevalue(user))
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    body = response.content.decode()
    assert french in body and english not in body
    assert english in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_python_strings_of_every_app_are_translated():
    from assistant.chat.grounding.paths import choose_path
    from ingestion.models import Collection
    from privacy.models import Review

    with translation.override("fr"):
        _, reason = choose_path(
            "auto", model_languages=["en"], lang="fr", verification=None, queue_full=False
        )
        assert reason == "Citations des documents : le modèle n'est pas fiable en français."
        _, busy = choose_path(
            "auto", model_languages=["en", "fr"], lang="fr", verification=None, queue_full=True
        )
        assert busy == "Citations des documents : le modèle est occupé."
        assert str(Collection.Sensitivity.CONFIDENTIAL.label) == "Confidentiel"
        assert str(Review.State.QUEUED.label) == "En attente"
    with translation.override("en"):
        assert str(Review.State.QUEUED.label) == "Queued"
