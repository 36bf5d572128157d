from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "keyou.audit"
    label = "audit"

    def ready(self) -> None:
        from keyou.audit import signals  # noqa: F401  (login and logout auditing)
