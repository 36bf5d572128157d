"""Web URLs: grants."""

urlpatterns: list = []
