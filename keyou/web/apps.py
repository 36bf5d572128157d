from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "keyou.web"
    label = "web"

    def ready(self) -> None:
        from keyou.web import reauth  # noqa: F401  (stamps the login time on the session)
