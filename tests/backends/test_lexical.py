from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.backends.lexical import sparse_vector, terms, tokenize


def shared(a: str, b: str, lang: str | None = None) -> set[int]:
    return set(sparse_vector(a, lang=lang).indices) & set(sparse_vector(b, lang=lang).indices)


def test_french_plural_and_singular_meet() -> None:
    assert terms("contrats", lang="fr") == terms("contrat", lang="fr")
    assert shared("Les contrats de travail", "le contrat", lang="fr")


def test_english_inflections_meet() -> None:
    assert terms("terminated contracts", lang="en") == terms("terminate contract", lang="en")


def test_accents_do_not_matter_for_matching() -> None:
    assert terms("résiliation", lang="fr") == terms("resiliation", lang="fr")
    assert terms("Préavis", lang="fr") == terms("preavis", lang="fr")


def test_stopwords_of_both_languages_and_elisions_are_dropped() -> None:
    assert tokenize("Le contrat de l'entreprise and the policy") == [
        "contrat",
        "entreprise",
        "policy",
    ]
    assert sparse_vector("the of le la de et").indices == []


def test_term_frequency_is_sublinear_and_indices_unique_sorted() -> None:
    vector = sparse_vector("invoice invoice invoice payment", lang="en")
    assert vector.indices == sorted(set(vector.indices))
    assert sorted(vector.values) == pytest.approx([1.0, 1.0 + math.log(3)])


def test_numbers_are_kept_as_terms() -> None:
    assert "2024" in terms("Facture 2024-117", lang="fr")


def test_language_is_detected_when_not_given() -> None:
    assert terms("Les contrats sont résiliés") == terms("les contrats sont résiliés", lang="fr")


def test_indices_are_stable_across_processes() -> None:
    code = (
        "from assistant.backends.lexical import sparse_vector;"
        "print(sparse_vector('contrat de travail', lang='fr').indices)"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            cwd=Path(__file__).resolve().parents[2],
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
    assert str(sparse_vector("contrat de travail", lang="fr").indices) in outputs.pop()
    assert all(0 <= i < 2**31 for i in sparse_vector("n'importe quel texte").indices)
