from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "assistant.chat"
    # The label these models had before the project was split into apps: table names
    # (assistant_exchange, ...) and the migration history stay valid.
    label = "assistant"
    verbose_name = "Chat assistant"

    def ready(self) -> None:
        from assistant.chat import signals

        signals.connect()
