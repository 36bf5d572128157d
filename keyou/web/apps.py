from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "keyou.web"
    label = "web"

    def ready(self) -> None:
        # Both stamp the login time on the session (signal receivers).
        from keyou.web import reauth, security  # noqa: F401
