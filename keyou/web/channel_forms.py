"""Forms of the chat-channel pages and of the digest choice; services still decide.

The webhook URL and the signing secret are never put back into a form: on an
existing channel, an empty field keeps the saved value.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from keyou.automation.models import Channel, ChannelKind
from keyou.automation.routing_rules import split_list
from keyou.people.models import Notification, Team, User


def _kinds_seen() -> list[str]:
    return sorted(set(Notification.objects.values_list("kind", flat=True).distinct()[:200]))


class ChannelForm(forms.Form):
    """Create or change a chat channel (a group robot's webhook)."""

    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Robot"), choices=ChannelKind.choices)
    url = forms.CharField(
        label=_("Webhook URL"),
        required=False,
        max_length=1000,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("The robot's address from the group settings. Stored encrypted."),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        max_length=300,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("DingTalk and Feishu robots with signature verification (加签) only."),
    )
    clear_secret = forms.BooleanField(label=_("Remove the saved secret"), required=False)
    team = forms.ModelChoiceField(
        label=_("Team"),
        required=False,
        queryset=Team.objects.all(),
        empty_label=_("Everyone"),
        help_text=_("Only notifications to people in this team or its sub-teams."),
    )
    kinds = forms.CharField(
        label=_("Notification kinds"),
        required=False,
        max_length=1000,
        help_text=_("Separated by commas; empty: every kind."),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(self, *args, channel: Channel | None = None, host: str = "", **kwargs):
        if channel is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": channel.name,
                    "kind": channel.kind,
                    "team": channel.team_id,
                    "kinds": ", ".join(channel.kinds or []),
                    "enabled": channel.enabled,
                },
            )
        super().__init__(*args, **kwargs)
        self.channel = channel
        if channel is not None:
            self.fields["url"].help_text = _(
                "Saved: a robot at %(host)s. Leave empty to keep it."
            ) % {"host": host or "?"}
            if channel.secret_encrypted:
                self.fields["secret"].help_text = _("A secret is saved. Leave empty to keep it.")
        else:
            del self.fields["clear_secret"]
        seen = _kinds_seen()
        if seen:
            self.fields["kinds"].help_text = _(
                "Separated by commas; empty: every kind. Kinds so far: %(kinds)s."
            ) % {"kinds": ", ".join(seen)}

    def clean_url(self) -> str:
        url = self.cleaned_data.get("url") or ""
        if url and not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError(_("The webhook URL must start with https:// or http://."))
        return url

    def clean(self):
        data = super().clean()
        if self.channel is None and not data.get("url"):
            self.add_error("url", _("Enter the robot's webhook URL."))
        return data

    def kind_list(self) -> list[str]:
        """Return the notification kinds typed, without blanks or repeats."""
        return sorted(split_list(getattr(self, "cleaned_data", {}).get("kinds") or ""))


class DigestForm(forms.ModelForm):
    """The user's choice of an email digest of their notifications."""

    class Meta:
        model = User
        fields = ["digest"]
        labels = {"digest": _("Email digest of notifications")}
        help_texts = {
            "digest": _("Unread notifications by email: hourly, or daily after 08:00 your time.")
        }
