"""What only the process-wide store and the embedded engine do: reopen from disk, the one-process
lock, the singleton chosen by settings, health, and transport failures."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assistant.backends.vectorstore import (
    ChunkPoint,
    IndexInfo,
    SparseVector,
    VectorStoreUnavailable,
)
from assistant.backends.vectorstore_edge import EdgeVectorStore
from assistant.backends.vectorstore_factory import (
    get_vector_store,
    reset_vector_store,
    vector_store_health,
)
from assistant.backends.vectorstore_qdrant import QdrantServerVectorStore

from .test_vectorstore_contract import DIM, MODEL, point, unit


@pytest.fixture(autouse=True)
def fresh_singleton():
    reset_vector_store()
    yield
    reset_vector_store()


def test_edge_store_reopens_from_disk_with_its_points(tmp_path: Path) -> None:
    rng = random.Random(1)
    first = EdgeVectorStore(tmp_path / "q", name="chunks")
    first.ensure_collection(embed_model=MODEL, dimension=DIM)
    points = [point(rng, collection=1, document=i, text=f"clause {i} contract") for i in range(50)]
    first.upsert(points)
    first.close()

    second = EdgeVectorStore(tmp_path / "q", name="chunks")
    try:
        assert second.index_info() == IndexInfo(MODEL, DIM)
        assert second.count() == 50
        hits = second.search(
            dense=points[7].dense,
            sparse=points[7].sparse,
            collection_ids=[1],
            limit=1,
            mode="dense",
        )
        assert hits[0].point_id == points[7].point_id
        assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    finally:
        second.close()


def test_a_second_process_gets_a_clear_unavailable_error(tmp_path: Path) -> None:
    store = EdgeVectorStore(tmp_path / "q", name="chunks")
    store.ensure_collection(embed_model=MODEL, dimension=DIM)
    store.upsert([point(random.Random(2), collection=1, document=1)])
    script = textwrap.dedent(
        f"""
        from assistant.backends.vectorstore import VectorStoreUnavailable
        from assistant.backends.vectorstore_edge import EdgeVectorStore
        try:
            EdgeVectorStore({str(tmp_path / "q")!r}, name="chunks").count()
        except VectorStoreUnavailable as exc:
            print("UNAVAILABLE", exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert "UNAVAILABLE" in result.stdout, result.stderr
    assert "locked by another process" in result.stdout
    store.close()


def test_points_survive_a_killed_process(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import os, random, signal
        from assistant.backends.vectorstore_edge import EdgeVectorStore
        from tests.backends.test_vectorstore_contract import point
        store = EdgeVectorStore({str(tmp_path / "q")!r}, name="chunks")
        store.ensure_collection(embed_model="m", dimension=8)
        rng = random.Random(1)
        store.upsert([point(rng, collection=1, document=i) for i in range(40)])
        store.delete_by_document(3)
        print("written", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert "written" in result.stdout, result.stderr
    assert result.returncode == -9
    store = EdgeVectorStore(tmp_path / "q", name="chunks")
    assert store.count() == 39
    assert store.index_info() == IndexInfo("m", 8)
    store.close()


def test_singleton_follows_settings_and_reports_health(settings, tmp_path: Path) -> None:
    settings.RAG_QDRANT_URL = ""
    store = get_vector_store()
    assert isinstance(store, EdgeVectorStore)
    assert get_vector_store() is store
    assert store.shard_path.parent == settings.RAG_QDRANT_PATH
    store.ensure_collection(embed_model=MODEL, dimension=DIM)
    store.upsert([point(random.Random(3), collection=1, document=i) for i in range(3)])
    health = vector_store_health()
    assert health.ok and "3 points" in health.detail

    settings.RAG_QDRANT_PATH = tmp_path / "elsewhere"
    moved = get_vector_store()
    assert moved is not store
    assert moved.count() == 0

    settings.RAG_QDRANT_URL = "http://127.0.0.1:9"
    assert isinstance(get_vector_store(), QdrantServerVectorStore)


def test_unreachable_server_is_unavailable_not_a_crash(settings) -> None:
    store = QdrantServerVectorStore(url="http://127.0.0.1:9", name="chunks", timeout=2)
    with pytest.raises(VectorStoreUnavailable, match=r"127\.0\.0\.1:9"):
        store.count()
    with pytest.raises(VectorStoreUnavailable):
        store.search(
            dense=unit(random.Random(4)),
            sparse=SparseVector([], []),
            collection_ids=[1],
            limit=3,
        )
    settings.RAG_QDRANT_URL = "http://127.0.0.1:9"
    health = vector_store_health()
    assert not health.ok
    assert "unreachable" in health.detail


def test_upsert_overwrite_is_idempotent_for_redelivered_tasks(tmp_path: Path) -> None:
    store = EdgeVectorStore(tmp_path / "q", name="chunks")
    store.ensure_collection(embed_model=MODEL, dimension=DIM)
    rng = random.Random(5)
    batch = [point(rng, collection=1, document=1, index=i) for i in range(10)]
    store.upsert(batch)
    store.upsert([ChunkPoint(p.point_id, p.dense, p.sparse, p.payload) for p in batch])
    assert store.count() == 10
    store.close()
