"""Web URLs: customers made by hand, the duplicate check and the import."""

from django.urls import path

from keyou.web.views import customers

urlpatterns = [
    path("accounts/new/", customers.account_new, name="account_new"),
    path("accounts/check/", customers.duplicate_check, name="duplicate_check"),
    path("accounts/import/", customers.account_import, name="account_import"),
]
