from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "keyou.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        # Huey finds each app's `tasks` module by itself; the channel and digest tasks
        # live beside it.
        from keyou.automation import channel_tasks  # noqa: F401
