"""Web URLs: exports."""

urlpatterns: list = []
