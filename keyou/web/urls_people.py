"""Web URLs: people."""

urlpatterns: list = []
