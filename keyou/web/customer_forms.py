"""Forms of the new-account and import pages; the services still check everything.

The new-account form's field names are those the duplicate check reads from its query
string (name, domain, country, email, phone), so the form can send its own fields.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from keyou.crm.imports import MAX_BYTES, ImportTable
from keyou.crm.models import Lifecycle, Tier

_SPLIT = re.compile(r"[\s,;，；、]+")
_PAYLOAD_SALT = "keyou.web.account_import"
PAYLOAD_MAX_AGE = 3600  # seconds between the preview and the import


def split_values(text: str) -> list[str]:
    """Return the domains (or addresses, numbers) typed in TEXT, split on commas and spaces."""
    return [part for part in _SPLIT.split(text or "") if part]


class AccountCreateForm(forms.Form):
    """A new account: its name, domains and a few fields, and optionally its first contact."""

    name = forms.CharField(label=_("Company name"), max_length=255)
    domain = forms.CharField(
        label=_("Domains"),
        required=False,
        max_length=1000,
        help_text=_("Company web or mail domains, separated by commas. Not free mail."),
    )
    country = forms.CharField(
        label=_("Country"),
        required=False,
        max_length=2,
        widget=forms.TextInput(attrs={"placeholder": "CN", "size": 3}),
    )
    tier = forms.ChoiceField(
        label=_("Value tier"), required=False, choices=[("", "—"), *Tier.choices]
    )
    lifecycle = forms.ChoiceField(
        label=_("Lifecycle"), choices=Lifecycle.choices, initial=Lifecycle.PROSPECT
    )
    source = forms.CharField(label=_("Source"), required=False, max_length=80)
    contact_name = forms.CharField(label=_("Contact name"), required=False, max_length=255)
    email = forms.CharField(label=_("Email"), required=False, max_length=320)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=60)
    title = forms.CharField(label=_("Job title"), required=False, max_length=255)
    confirm_duplicates = forms.BooleanField(
        label=_("Create it anyway: it is not one of the customers above"),
        required=False,
        # Shown below the matches, outside the <form> element (see customers/new.html).
        widget=forms.CheckboxInput(attrs={"form": "account-new-form"}),
    )

    def contact(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            "name": data["contact_name"],
            "email": data["email"],
            "phone": data["phone"],
            "title": data["title"],
        }


class ImportUploadForm(forms.Form):
    """A CSV or XLSX file of customers, to preview before importing."""

    file = forms.FileField(label=_("CSV or XLSX file"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


class ImportConfirmForm(forms.Form):
    """The previewed file, carried signed from the preview to the import."""

    payload = forms.CharField(widget=forms.HiddenInput)
    allow_duplicates = forms.BooleanField(
        label=_("Import the rows that match existing customers too"), required=False
    )

    @staticmethod
    def sign(table: ImportTable, user_id: int, filename: str) -> str:
        """Return TABLE signed for USER_ID (compressed: it travels in the page)."""
        data = {"user": user_id, "file": filename, "table": table.as_data()}
        return signing.dumps(data, salt=_PAYLOAD_SALT, compress=True)

    def table_for(self, user_id: int) -> tuple[ImportTable, str] | None:
        """Return the carried table and file name, or None if forged, expired or not USER_ID's."""
        try:
            data = signing.loads(
                self.cleaned_data["payload"], salt=_PAYLOAD_SALT, max_age=PAYLOAD_MAX_AGE
            )
        except signing.BadSignature:
            return None
        if data.get("user") != user_id:
            return None
        return ImportTable.from_data(data["table"]), str(data.get("file", ""))
