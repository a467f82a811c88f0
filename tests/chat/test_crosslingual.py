"""Cross-lingual retrieval with the multilingual embedder, end to end: documents uploaded and
ingested through the real pipeline, embedded with the Universal Sentence Encoder multilingual
(the real model, from its package), searched by the product's retrieve(). A French question
finds the English passage and an English question the French one, though they share no word."""

import pytest

DOCUMENTS = {
    "travel.txt": (
        "Travel policy. The maximum hotel rate is 145 euros per night when staying in Paris. "
        "Trains are booked in second class."
    ),
    "conges.txt": (
        "Politique des congés. Chaque salarié bénéficie de vingt-sept jours de congés payés par "
        "année civile."
    ),
    "security.txt": (
        "IT security. Passwords must be at least fourteen characters long and are changed every "
        "year."
    ),
    "cantine.txt": "Restauration. La cantine du siège ouvre à midi et ferme à quatorze heures.",
}


@pytest.fixture
def multilingual_corpus(db, alice, collection_a, settings, tmp_path):
    from assistant.backends.embedder import USE_MULTILINGUAL, reset_embedder
    from assistant.backends.vectorstore_factory import reset_vector_store
    from tests.fixtures.ingestion_jobs import run_queued_jobs, upload

    settings.RAG_EMBED_MODEL = USE_MULTILINGUAL
    settings.RAG_QDRANT_PATH = tmp_path / "qdrant"
    settings.RAG_MIN_SCORE = None  # the calibration of this embedder applies
    reset_embedder()
    reset_vector_store()
    for name, text in DOCUMENTS.items():
        upload(collection_a, name, text.encode())
    assert run_queued_jobs() == len(DOCUMENTS)
    yield alice
    reset_vector_store()
    reset_embedder()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Quel est le plafond d'hôtel par nuit à Paris ?", "travel.txt"),
        ("Quelle longueur minimale pour un mot de passe ?", "security.txt"),
        ("How many days of paid leave does an employee get?", "conges.txt"),
        ("When does the canteen open?", "cantine.txt"),
    ],
)
def test_a_question_finds_the_passage_written_in_the_other_language(
    multilingual_corpus, question, expected
):
    from assistant.backends.embedder_registry import thresholds
    from assistant.chat.retrieval import retrieve
    from ingestion.models import Document

    result = retrieve(user=multilingual_corpus, question=question)

    assert result.passages, (question, result.max_score, thresholds())
    best = Document.objects.get(pk=result.passages[0].document_id)
    assert best.original_name == expected, [p.text[:40] for p in result.passages]
