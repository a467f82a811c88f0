"""Collections with redact_at_ingestion store and index their chunks redacted."""

import pytest

from ingestion.models import Chunk, Collection, Document
from tests.fixtures.ingestion_jobs import run_queued_jobs, upload

TEXT = (
    "# Contacts RH\n\n"
    "Pour toute question sur la paie, écrire à claire.martin@exemple.fr ou appeler le "
    "06 12 34 56 78. Le dossier de Claire Martin est suivi par le service paie.\n"
).encode()


@pytest.mark.django_db
def test_chunks_of_a_redacting_collection_hold_placeholders_only(collection_a):
    collection_a.redact_at_ingestion = True
    collection_a.save()
    outcome = upload(collection_a, "contacts.md", TEXT)
    assert run_queued_jobs() == 1
    document = Document.objects.get(pk=outcome.document.pk)
    assert document.status == Document.Status.INDEXED, document.error_message
    stored = " ".join(Chunk.objects.filter(document=document).values_list("text", flat=True))
    assert "claire.martin@exemple.fr" not in stored
    assert "06 12 34 56 78" not in stored
    assert "<EMAIL_1>" in stored and "<PHONE_1>" in stored
    assert "paie" in stored  # the rest of the text is kept


@pytest.mark.django_db
def test_other_collections_keep_the_original_text():
    collection = Collection.objects.create(slug="plain", name="Plain")
    outcome = upload(collection, "contacts.md", TEXT)
    run_queued_jobs()
    stored = " ".join(
        Chunk.objects.filter(document=outcome.document).values_list("text", flat=True)
    )
    assert "claire.martin@exemple.fr" in stored
