"""The JSON API, version 1: thin django-ninja routers over the apps' selectors and services."""
