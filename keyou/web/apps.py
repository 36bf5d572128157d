from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "keyou.web"
    label = "web"
