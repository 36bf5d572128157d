"""Web URLs: security."""

urlpatterns: list = []
