"""unstructured's offline traps (FIELD-NOTES): no telemetry, no spaCy/NLTK download, no model
download, no torch. A fresh interpreter records every socket it is asked to open while it preloads
the parsers and parses one file of each format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ingestion.pipeline import filetypes

SCRIPT = r"""
import json, socket, sys

attempts = []

class RecordingSocket(socket.socket):
    # creating a socket is harmless (urllib3 probes IPv6 support at import); reaching out is not
    def connect(self, address):
        if self.family != socket.AF_UNIX:
            attempts.append(f"connect {address!r}")
            raise OSError("network disabled in this test")
        return super().connect(address)

    def sendto(self, *args):
        attempts.append(f"sendto {args[-1]!r}")
        raise OSError("network disabled in this test")

def create_connection(address, *args, **kwargs):
    attempts.append(f"create_connection {address!r}")
    raise OSError("network disabled in this test")

def getaddrinfo(host, *args, **kwargs):
    attempts.append(f"getaddrinfo {host!r}")
    raise socket.gaierror("name resolution disabled in this test")

socket.getaddrinfo = getaddrinfo
socket.socket = RecordingSocket
socket.create_connection = create_connection

from ingestion.pipeline import preload
from ingestion.pipeline.parse import parse_in_child

results = {}
for path, name, mime in json.loads(sys.argv[1]):
    out = parse_in_child(path=path, original_name=name, mime_type=mime, max_pages=100)
    results[name] = len(out["elements"])
print(json.dumps({
    "attempts": attempts,
    "errors": preload.PRELOAD_ERRORS,
    "results": results,
    "torch": sys.modules.get("torch") is not None,
    "seconds": preload.PRELOAD_SECONDS,
}))
"""


def test_parsers_never_touch_the_network(good_corpus):
    files = [
        (str(path), name, filetypes.detect_mime_type(path, name))
        for name, (path, _) in good_corpus.items()
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("DO_NOT_TRACK", "SCARF_NO_ANALYTICS")}
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(files)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[3],
        env=env,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["attempts"] == []
    assert report["errors"] == []
    assert report["torch"] is False
    assert set(report["results"]) == set(good_corpus)
    assert all(count > 0 for count in report["results"].values())
