"""The Celery application. Same task code in both modes; only CELERY_BROKER_URL differs."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assistant.settings")

app = Celery("assistant")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="assistant.ping")
def ping(value: str = "pong") -> str:
    """Round-trip probe used by the health check and the broker tests."""
    return value
