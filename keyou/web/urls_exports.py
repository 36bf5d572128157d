"""Web URLs: exports (one name per format, so no URL takes more than the account's id)."""

from django.urls import path

from keyou.web.views import exports

urlpatterns = [
    path("exports/", exports.export_list, name="export_list"),
    path(
        "exports/accounts.csv",
        exports.accounts_export,
        {"file_format": "csv"},
        name="export_accounts_csv",
    ),
    path(
        "exports/accounts.xlsx",
        exports.accounts_export,
        {"file_format": "xlsx"},
        name="export_accounts_xlsx",
    ),
    path(
        "exports/contacts.csv",
        exports.contacts_export,
        {"file_format": "csv"},
        name="export_contacts_csv",
    ),
    path(
        "exports/contacts.xlsx",
        exports.contacts_export,
        {"file_format": "xlsx"},
        name="export_contacts_xlsx",
    ),
    path(
        "accounts/<int:pk>/export.csv",
        exports.account_timeline_export,
        {"file_format": "csv"},
        name="account_export_csv",
    ),
    path(
        "accounts/<int:pk>/export.xlsx",
        exports.account_timeline_export,
        {"file_format": "xlsx"},
        name="account_export_xlsx",
    ),
]
