"""The web process and the task modules must not pull the heavy ML libraries in."""

import json
import os
import subprocess
import sys

HEAVY = [
    "torch",
    "llama_cpp",
    "sentence_transformers",
    "unstructured",
    "presidio_analyzer",
    "spacy",
]

SCRIPT = """
import json, sys, importlib
import django
django.setup()
import assistant.urls
from django.urls import get_resolver
get_resolver().url_patterns
from assistant.wsgi import application
from assistant.celery import app
app.loader.import_default_modules()
for name in ("ingestion.tasks", "assistant.chat.tasks", "privacy.tasks"):
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in %r)))
"""


def test_urlconf_and_task_modules_import_no_heavy_library(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "assistant.settings",
        "RAG_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT % (HEAVY,)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == []
