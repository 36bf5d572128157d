"""keyou worker: a separate background worker (several can share one Redis)."""

import logging
import os

from django.core.management.base import BaseCommand

log = logging.getLogger("keyou.worker")


class Command(BaseCommand):
    help = "Run the background worker (Huey consumer)."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=None)
        parser.add_argument(
            "--no-idle", action="store_true", help="do not hold IMAP IDLE on connected mailboxes"
        )

    def handle(self, *args, **options):
        from django.conf import settings
        from django.utils.module_loading import autodiscover_modules
        from huey.contrib.djhuey import HUEY

        autodiscover_modules("tasks")  # register every app's tasks with the consumer

        consumer_options = dict(settings.HUEY.get("consumer", {}))
        if options["workers"]:
            consumer_options["workers"] = options["workers"]
        if not options["no_idle"]:
            from keyou.mail.sync import IdleSupervisor

            IdleSupervisor().start()
        consumer = HUEY.create_consumer(**consumer_options)
        log.info("worker started: pid %s, %s threads", os.getpid(), consumer.workers)
        consumer.run()
