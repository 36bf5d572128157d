from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "keyou.mail"
    label = "mail"
    verbose_name = _("Mail")

    def ready(self) -> None:
        # Huey finds each app's `tasks` module by itself; the sending tasks live beside it.
        from keyou.mail import send_tasks  # noqa: F401
