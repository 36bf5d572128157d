"""The form behind a mailbox's connection settings (the password is never shown back)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from keyou.mail.models import Mailbox, Security
from keyou.mail.presets import PRESETS


def _preset_choices() -> list[tuple[str, object]]:
    return [("", _("Other server (enter the settings)"))] + [
        (key, preset.label) for key, preset in PRESETS.items()
    ]


class MailboxConnectForm(forms.Form):
    preset = forms.ChoiceField(label=_("Provider"), required=False)
    username = forms.CharField(
        label=_("Login name"), max_length=320, help_text=_("Usually the full address.")
    )
    password = forms.CharField(
        label=_("Password or app password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted. Leave empty to keep the saved one."),
    )
    imap_host = forms.CharField(label=_("IMAP server"), max_length=255, required=False)
    imap_port = forms.IntegerField(
        label=_("IMAP port"), min_value=1, max_value=65535, required=False
    )
    imap_security = forms.ChoiceField(label=_("IMAP security"), choices=Security.choices)
    smtp_host = forms.CharField(label=_("SMTP server"), max_length=255, required=False)
    smtp_port = forms.IntegerField(
        label=_("SMTP port"), min_value=1, max_value=65535, required=False
    )
    smtp_security = forms.ChoiceField(label=_("SMTP security"), choices=Security.choices)
    sync_months = forms.IntegerField(
        label=_("Months of history to fetch"), min_value=1, max_value=120, initial=12
    )

    def __init__(self, *args, mailbox: Mailbox, **kwargs):
        initial = {
            "preset": mailbox.preset,
            "username": mailbox.username or mailbox.address,
            "imap_host": mailbox.imap_host,
            "imap_port": mailbox.imap_port,
            "imap_security": mailbox.imap_security,
            "smtp_host": mailbox.smtp_host,
            "smtp_port": mailbox.smtp_port,
            "smtp_security": mailbox.smtp_security,
            "sync_months": mailbox.sync_months,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.mailbox = mailbox
        self.fields["preset"].choices = _preset_choices()

    def clean(self):
        data = super().clean()
        if not data.get("preset"):
            for field in ("imap_host", "smtp_host"):
                if not data.get(field):
                    self.add_error(field, _("Enter the server, or choose a provider."))
        if not data.get("password") and not self.mailbox.password_encrypted:
            self.add_error("password", _("Enter the mailbox password."))
        return data
