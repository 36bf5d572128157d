"""keyou serve [--host H] [--port P]: the web app plus the embedded background worker."""

import threading

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web app (waitress) with the background worker in the same process."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8, help="web threads")
        parser.add_argument(
            "--no-worker", action="store_true", help="web only (run `keyou worker` elsewhere)"
        )

    def handle(self, *args, **options):
        from waitress import serve

        from keyou.wsgi import application

        def web() -> None:
            serve(
                application,
                host=options["host"],
                port=options["port"],
                threads=options["threads"],
                ident="keyou",
            )

        self.stdout.write(f"Serving on http://{options['host']}:{options['port']}")
        if options["no_worker"]:
            web()
            return
        # The consumer wants the main thread for its signal handling; the web
        # server is happy in a thread of its own.
        threading.Thread(target=web, name="web", daemon=True).start()
        from django.conf import settings
        from django.utils.module_loading import autodiscover_modules
        from huey.contrib.djhuey import HUEY

        autodiscover_modules("tasks")  # register every app's tasks with the consumer

        consumer_options = settings.HUEY.get("consumer", {})
        from keyou.mail.sync import IdleSupervisor

        IdleSupervisor().start()  # new mail on connected mailboxes within seconds
        consumer = HUEY.create_consumer(**consumer_options)
        consumer.run()
