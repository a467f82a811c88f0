from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The Django project package as an app: its static files, translations and the `serve` and
    `seed_demo` commands. It owns no models; the chat models keep the label "assistant" in
    assistant.chat, so tables and migration history did not change when the apps were split."""

    name = "assistant"
    label = "project"
    verbose_name = "Private RAG assistant"
