"""Web URLs: handover."""

urlpatterns: list = []
