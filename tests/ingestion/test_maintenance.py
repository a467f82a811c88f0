"""reindex and reconcile rebuild the index from the database, the source of truth."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from ingestion.indexing import point_id_for
from ingestion.maintenance import reconcile, reindex
from ingestion.models import Chunk
from tests.fixtures.ingestion_jobs import indexed_document

TEXTS = ["trains and hotels", "receipts within thirty days", "holidays in August"]


def test_reindex_rebuilds_deleted_points_without_reparsing(collection_a, collection_b, store):
    first = indexed_document(collection_a, "a.txt", TEXTS)
    indexed_document(collection_b, "b.txt", TEXTS[:2])
    store.delete_by_document(first.pk)
    assert store.count(collection_ids=[collection_a.pk]) == 0

    assert reindex(collection=collection_a) == 3
    assert store.count(collection_ids=[collection_a.pk]) == 3
    assert store.count(collection_ids=[collection_b.pk]) == 2

    assert reindex() == 5  # full rebuild: drop + recreate
    assert store.count() == 5


def test_reconcile_reports_and_fixes_every_kind_of_drift(collection_a, store):
    document = indexed_document(collection_a, "a.txt", TEXTS)
    other = indexed_document(collection_a, "b.txt", TEXTS)
    assert reconcile().drift == 0

    chunks = list(Chunk.objects.filter(document=document).order_by("index"))
    store.delete_points([chunks[0].point_id])  # chunk with no point
    Chunk.objects.filter(pk=chunks[1].pk).delete()  # point with no chunk
    # a point written under another version of `other` (same id space, wrong payload)
    wrong = Chunk.objects.filter(document=other).earliest("index")
    from ingestion.indexing import chunk_points, current_embedder

    point = chunk_points(
        [wrong], collection_id=collection_a.pk, lang="en", embedder=current_embedder()
    )[0]
    point.payload["version"] = 7
    store.upsert([point])

    report = reconcile()
    assert report.missing_points == [chunks[0].pk]
    assert report.orphan_points == [chunks[1].point_id]
    assert report.wrong_version_points == [wrong.point_id]
    assert not report.fixed

    fixed = reconcile(fix=True)
    assert fixed.fixed
    after = reconcile()
    assert after.drift == 0
    assert after.points == Chunk.objects.count() == 5
    assert store.count() == 5


def test_reconcile_leaves_documents_being_indexed_alone(collection_a, store):
    from ingestion.models import Document

    document = indexed_document(collection_a, "a.txt", TEXTS)
    Document.objects.filter(pk=document.pk).update(status=Document.Status.EMBEDDING)
    report = reconcile(fix=True)
    assert report.orphan_points == [] and report.missing_points == []
    assert store.count() == 3


def test_reconcile_and_reindex_commands(collection_a, store, capsys):
    document = indexed_document(collection_a, "a.txt", TEXTS)
    store.delete_points([point_id_for(document.pk, 1, 2)])
    with pytest.raises(SystemExit) as exited:
        call_command("reconcile")
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert "chunks with no point:       1" in out
    call_command("reconcile", "--fix")
    assert store.count() == 3
    call_command("reindex", "--collection", collection_a.slug)
    assert "reindexed 3 chunks" in capsys.readouterr().out
