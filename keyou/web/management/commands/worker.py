"""keyou worker: a separate background worker (several can share one Redis)."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker (Huey consumer)."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=None)

    def handle(self, *args, **options):
        from django.conf import settings
        from huey.contrib.djhuey import HUEY

        consumer_options = dict(settings.HUEY.get("consumer", {}))
        if options["workers"]:
            consumer_options["workers"] = options["workers"]
        HUEY.create_consumer(**consumer_options).run()
