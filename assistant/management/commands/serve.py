import logging
import signal
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

logger = logging.getLogger("assistant.serve")


class Command(BaseCommand):
    help = (
        "Run the production web server (waitress). In the embedded mode it also runs the Celery "
        "worker in the same process, because the embedded Qdrant engine is single-process."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--no-worker", action="store_true", help="never start the in-process Celery worker"
        )
        parser.add_argument(
            "--no-beat",
            action="store_true",
            help="do not send the periodic tasks from the in-process worker (embedded mode)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from assistant.celery import app as celery_app
        from assistant.embedded_worker import EmbeddedWorker
        from assistant.wsgi import application

        embedded = settings.RAG_EMBEDDED_BROKER
        mode = "embedded" if embedded and not settings.RAG_QDRANT_URL else "server"
        logger.info(
            "mode=%s database=%s broker=%s vector_store=%s llm=%s model=%s embedder=%s",
            mode,
            settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            "embedded (sqlite)" if embedded else settings.CELERY_BROKER_URL.split("://")[0],
            f"qdrant server {settings.RAG_QDRANT_URL}"
            if settings.RAG_QDRANT_URL
            else "embedded qdrant-edge",
            settings.RAG_LLM_BACKEND,
            settings.RAG_MODEL_PATH.name
            if settings.RAG_LLM_BACKEND == "llamacpp"
            else settings.RAG_LLM_URL,
            settings.RAG_EMBED_MODEL,
        )
        worker = None
        if embedded and not options["no_worker"]:
            worker = EmbeddedWorker(celery_app, beat=not options["no_beat"])
            worker.start()
            # Interrupted ingest jobs are requeued by ingestion.tasks' worker_ready handler.
            logger.info(
                "embedded Celery worker started in-process (periodic tasks: %s)",
                "off" if options["no_beat"] else ", ".join(sorted(settings.CELERY_BEAT_SCHEDULE)),
            )

        def _shutdown(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _shutdown)
        self.stdout.write(f"Serving on http://{options['host']}:{options['port']}/")
        try:
            serve(
                application,
                host=options["host"],
                port=options["port"],
                threads=options["threads"],
                channel_timeout=300,
                ident="rag-assistant",
            )
        except KeyboardInterrupt:
            pass
        finally:
            if worker is not None:
                worker.stop()
