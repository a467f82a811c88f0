"""The in-process Celery worker of the embedded mode.

Qdrant's embedded engine locks its folder to one process, so in the embedded mode the web server
and the Celery worker share one process: the worker consumes the embedded broker (kombu's
SQLAlchemy transport on SQLite) from a background thread. Tasks still go through Celery, with the
same retries and acks as in server mode. celery.worker.WorkController is the worker core without
the command-line wrapper, so it installs no signal handlers and can run outside the main thread.

With beat=True the periodic tasks (settings.CELERY_BEAT_SCHEDULE) are sent from a beat service in
a second thread of the same process, as `celery worker -B` would do but without its child
process: the embedded mode has no other process to run `celery beat`.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

from celery import Celery

logger = logging.getLogger(__name__)


class EmbeddedWorker:
    def __init__(
        self,
        app: Celery,
        *,
        concurrency: int = 1,
        beat: bool = False,
        schedule_filename: str | None = None,
    ) -> None:
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
        self._beat: Any = None
        if beat:
            from celery.beat import EmbeddedService

            self._beat = EmbeddedService(
                app,
                thread=True,
                schedule_filename=schedule_filename or app.conf.beat_schedule_filename,
            )

    def _run(self) -> None:
        try:
            self._controller.start()
        except Exception:
            logger.exception("embedded Celery worker stopped with an error")

    def start(self) -> None:
        self._thread.start()
        if self._beat is not None:
            self._beat.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._beat is not None:
            self._beat.stop()
        self._controller.stop(in_sighandler=False)
        self._thread.join(timeout)
