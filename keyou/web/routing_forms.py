"""Forms of the routing pages: a routing rule, and the "who would get it?" test.

Lists (keywords, countries, languages) are typed comma-separated; the services in
keyou.automation.routing_rules check the codes and still decide what is allowed.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from keyou.automation.models import RoutingRule, Strategy
from keyou.automation.routing_rules import languages_clean, region_codes_clean, split_list
from keyou.mail.models import Mailbox, MailboxKind
from keyou.people.directory import users_active
from keyou.people.models import Team
from keyou.people.services import InvalidInput


def shared_mailboxes():
    """Return the shared mailboxes, by address."""
    return Mailbox.objects.filter(kind=MailboxKind.SHARED).order_by("address")


class ListField(forms.CharField):
    """Items typed comma-separated ("LED, 灯, lamp"), cleaned into a list by CHECK."""

    def __init__(self, *, check=None, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 2000)
        self.check = check
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def clean(self, value) -> list[str]:
        items = split_list(super().clean(value) or "")
        if self.check is None:
            return items
        try:
            return self.check(items)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.localized()) from None


class RoutingRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    position = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=1_000_000,
        required=False,
        help_text=_("Rules are tried from the lowest number; the first that matches wins."),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    mailbox = forms.ModelChoiceField(
        label=_("Mailbox"),
        queryset=shared_mailboxes(),
        required=False,
        empty_label=_("Every shared mailbox"),
    )
    keywords = ListField(
        label=_("Keywords"),
        help_text=_(
            "Any of these in the subject or text, separated by commas (case does not matter): "
            "LED, 灯具, lamp"
        ),
    )
    countries = ListField(
        label=_("Countries or regions"),
        check=region_codes_clean,
        help_text=_("The sender's country: country codes or region groups, e.g. DE, FR, EU"),
    )
    languages = ListField(
        label=_("Languages"),
        check=languages_clean,
        help_text=_("The language of the text, e.g. zh, en, es"),
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all())
    strategy = forms.ChoiceField(
        label=_("Who in the team"), choices=Strategy.choices, initial=Strategy.ROUND_ROBIN
    )
    user = forms.ModelChoiceField(
        label=_("Person (fixed strategy)"),
        queryset=users_active(),
        required=False,
        empty_label=_("Nobody"),
    )

    def clean(self):
        data = super().clean()
        if data.get("strategy") == Strategy.FIXED:
            user, team = data.get("user"), data.get("team")
            if user is None:
                self.add_error("user", _("Choose the person who takes these inquiries."))
            elif team is not None and user.team_id != team.pk:
                self.add_error("user", _("The person must be a member of the team."))
        return data

    @classmethod
    def initial_for(cls, rule: RoutingRule) -> dict:
        """Return the form's initial values for RULE."""
        return {
            "name": rule.name,
            "position": rule.position,
            "enabled": rule.enabled,
            "mailbox": rule.mailbox_id,
            "keywords": rule.keywords,
            "countries": rule.countries,
            "languages": rule.languages,
            "team": rule.team_id,
            "strategy": rule.strategy,
            "user": rule.user_id,
        }


class RoutingTestForm(forms.Form):
    """An inquiry made up to see where it would go; nothing is changed."""

    mailbox = forms.ModelChoiceField(label=_("To"), queryset=shared_mailboxes(), empty_label=None)
    sender = forms.CharField(
        label=_("From"),
        max_length=320,
        widget=forms.TextInput(attrs={"placeholder": "buyer@example.de"}),
    )
    subject = forms.CharField(label=_("Subject"), max_length=998, required=False)
    text = forms.CharField(
        label=_("Text"),
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("With the signature: a phone number there can tell the country."),
    )
