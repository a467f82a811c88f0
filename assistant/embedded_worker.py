"""The in-process Celery worker of the embedded mode.

Qdrant's embedded engine locks its folder to one process, so in the embedded mode the web server
and the Celery worker share one process: the worker consumes the embedded broker (kombu's
SQLAlchemy transport on SQLite) from a background thread. Tasks still go through Celery, with the
same retries and acks as in server mode. celery.worker.WorkController is the worker core without
the command-line wrapper, so it installs no signal handlers and can run outside the main thread.
"""

from __future__ import annotations

import logging
import socket
import threading

from celery import Celery

logger = logging.getLogger(__name__)


class EmbeddedWorker:
    def __init__(self, app: Celery, *, concurrency: int = 1) -> None:
        self._controller = app.WorkController(
            hostname=f"embedded@{socket.gethostname()}",
            pool_cls="threads",
            concurrency=concurrency,
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            loglevel=logging.INFO,
        )
        self._thread = threading.Thread(target=self._run, name="celery-embedded", daemon=True)

    def _run(self) -> None:
        try:
            self._controller.start()
        except Exception:
            logger.exception("embedded Celery worker stopped with an error")

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._controller.stop(in_sighandler=False)
        self._thread.join(timeout)
