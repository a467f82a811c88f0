from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Count, Sum
from django.utils import timezone

from assistant.chat.models import CachedAnswer
from assistant.chat.semantic_cache import clear, purge_expired


class Command(BaseCommand):
    help = "Semantic cache: stats (entries, hits, by language), purge (expired entries), clear."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["stats", "purge", "clear"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "purge":
            self.stdout.write(f"purged {purge_expired()} expired entries")
            return
        if options["action"] == "clear":
            self.stdout.write(f"deleted {clear()} entries")
            return
        now = timezone.now()
        live = CachedAnswer.objects.filter(expires_at__gt=now)
        totals = live.aggregate(entries=Count("pk"), hits=Sum("hits"))
        self.stdout.write(
            f"entries {totals['entries']} (expired, not purged yet: "
            f"{CachedAnswer.objects.filter(expires_at__lte=now).count()}), "
            f"hits {totals['hits'] or 0}"
        )
        for row in live.values("language").annotate(n=Count("pk"), h=Sum("hits")).order_by():
            self.stdout.write(f"  {row['language']}: {row['n']} entries, {row['h'] or 0} hits")
