"""The real embedding model (loaded once per session by the `embedder` fixture)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from assistant.backends.embedder import (
    EmbedderUnavailable,
    SentenceTransformerEmbedder,
    get_embedder,
    model_display_name,
)


def dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_vectors_are_normalised_with_the_model_dimension(embedder) -> None:
    assert embedder.dimension == 384
    assert embedder.model_name == "all-MiniLM-L6-v2"
    vectors = embedder.embed_documents(["first passage", "second passage", ""])
    assert len(vectors) == 3
    for vector in vectors:
        assert len(vector) == 384
        assert math.sqrt(dot(vector, vector)) == pytest.approx(1.0, abs=1e-4)
    assert embedder.embed_documents([]) == []


def test_similar_sentences_are_closer_than_unrelated_ones(embedder) -> None:
    query = embedder.embed_query("How many days of paid holiday do employees get?")
    near, far = embedder.embed_documents(
        [
            "Staff are entitled to twenty-five days of annual leave.",
            "The server room temperature must stay below 24 degrees.",
        ]
    )
    assert dot(query, near) > dot(query, far) + 0.1


def test_french_text_works(embedder) -> None:
    query = embedder.embed_query("Quelle est la durée du préavis de démission ?")
    near, far = embedder.embed_documents(
        [
            "En cas de démission, le préavis est de deux mois.",
            "La cantine ouvre à midi et ferme à quatorze heures.",
        ]
    )
    assert dot(query, near) > dot(query, far)


def test_query_and_document_embeddings_agree(embedder) -> None:
    text = "Invoices are paid within thirty days."
    assert dot(embedder.embed_query(text), embedder.embed_documents([text])[0]) == pytest.approx(
        1.0, abs=1e-4
    )


def test_count_tokens_uses_the_model_tokenizer(embedder) -> None:
    assert embedder.count_tokens("") == 0
    short = embedder.count_tokens("contract")
    long = embedder.count_tokens("contract " * 600)
    assert short >= 1
    assert long >= 600  # no truncation at the model's 256-token window


def test_missing_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbedderUnavailable, match="not found or incomplete"):
        SentenceTransformerEmbedder(str(tmp_path / "no-such-model"))


def test_display_name_is_stable_for_the_package_folder(settings) -> None:
    assert model_display_name(settings.RAG_EMBED_MODEL) == "all-MiniLM-L6-v2"
    assert model_display_name("sentence-transformers/all-MiniLM-L6-v2") == "all-MiniLM-L6-v2"


def test_get_embedder_is_a_singleton(settings, embedder, monkeypatch) -> None:
    import assistant.backends.embedder as module

    monkeypatch.setattr(module, "_instance", embedder)  # reuse the session's loaded model
    assert get_embedder() is embedder
    assert get_embedder() is get_embedder()


def test_multilingual_use_embedder(use_embedder) -> None:
    assert use_embedder.model_name == "use-multilingual-v3"
    assert use_embedder.dimension == 512
    query = use_embedder.embed_query("Combien de jours de vacances par an ?")
    near, far, english = use_embedder.embed_documents(
        [
            "Chaque salarié a droit à vingt-cinq jours de congés payés par an.",
            "Le parking souterrain est réservé aux véhicules électriques.",
            "Employees get twenty-five days of paid holiday per year.",
        ]
    )
    assert math.sqrt(dot(near, near)) == pytest.approx(1.0, abs=1e-4)
    assert dot(query, near) > dot(query, far) + 0.1
    assert dot(query, english) > dot(query, far)  # cross-lingual
    assert use_embedder.count_tokens("") == 0
    assert use_embedder.count_tokens("contrat " * 300) >= 300


def test_load_embedder_picks_the_backend_by_name(settings) -> None:
    from assistant.backends.embedder import load_embedder

    with pytest.raises(EmbedderUnavailable):
        load_embedder("/nonexistent/model")


def test_model_languages_tell_english_only_models_apart():
    from assistant.backends.embedder import model_languages

    assert model_languages("all-MiniLM-L6-v2") == ("en",)
    assert model_languages("paraphrase-multilingual-MiniLM-L12-v2") == ("*",)
    assert model_languages("use-multilingual-v3") == ("*",)
