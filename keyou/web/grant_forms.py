"""Forms of the grants, access-request and audit-log pages; services still decide what is allowed.

Date-times are typed and shown in the user's time zone (the middleware activates
it); Django's DateTimeField reads them in that zone, and `until()` hands the
services an aware UTC datetime.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyou.audit.models import AuditAction
from keyou.people.directory import users_active
from keyou.people.models import Team
from keyou.web.forms import DATE_FORMATS, date_input, local_midnight

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
DEFAULT_GRANT_DAYS = 7


def _datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def default_until() -> datetime:
    """A week from now, on the minute (the form's initial end of a grant)."""
    return (timezone.now() + timedelta(days=DEFAULT_GRANT_DAYS)).replace(second=0, microsecond=0)


class _UntilMixin:
    def clean_until(self) -> datetime:
        value = self.cleaned_data["until"]
        if value is None:
            raise forms.ValidationError(_("Give the end of the grant."))
        return value.astimezone(UTC)


class GrantForm(_UntilMixin, forms.Form):
    """Give a user read-only or edit access to some customers, or a team's, until a time."""

    user = forms.ModelChoiceField(
        label=_("User"),
        queryset=users_active(),
        empty_label=_("Choose a user"),
    )
    accounts = forms.CharField(
        label=_("Customers"),
        required=False,
        max_length=2000,
        help_text=_("Numbers or domains, separated by commas."),
    )
    team = forms.ModelChoiceField(
        label=_("Or a team's customers"),
        required=False,
        queryset=Team.objects.all(),
        empty_label=_("No team"),
    )
    access = forms.ChoiceField(
        label=_("Access"),
        choices=[("read", _("Read-only")), ("edit", _("May edit"))],
        initial="read",
        widget=forms.RadioSelect,
    )
    until = forms.DateTimeField(
        label=_("Until"),
        input_formats=DATETIME_FORMATS,
        widget=_datetime_input(),
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = settings.KEYOU_GRANT_MAX_DAYS
        self.fields["until"].help_text = _("At most %(days)d days from now.") % {"days": days}

    def clean(self):
        data = super().clean()
        if not self.errors and not self.account_refs() and not data.get("team"):
            raise forms.ValidationError(_("Name the customers or choose a team."))
        return data

    def account_refs(self) -> list[str]:
        """Return the customer numbers and domains typed, in order, without repeats."""
        raw = (getattr(self, "cleaned_data", {}).get("accounts") or "").replace("，", ",")
        refs: list[str] = []
        for part in raw.replace("\n", ",").split(","):
            ref = part.strip()
            if ref and ref not in refs:
                refs.append(ref)
        return refs


class DecideForm(_UntilMixin, forms.Form):
    """Approve (until a time, read-only or edit) or refuse an access request."""

    decision = forms.ChoiceField(choices=[("grant", _("Approve")), ("refuse", _("Refuse"))])
    until = forms.DateTimeField(
        label=_("Until"), required=False, input_formats=DATETIME_FORMATS, widget=_datetime_input()
    )
    edit = forms.BooleanField(label=_("May edit"), required=False)

    def clean_until(self) -> datetime | None:
        if self.cleaned_data.get("decision") != "grant":
            return None
        return super().clean_until()


class AccessRequestForm(forms.Form):
    """Ask for access to a customer by its number (from the page-not-found page)."""

    account_id = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why do you need it?"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("Reason")}),
    )


class AuditFilterForm(forms.Form):
    """The GET form of the audit log; invalid fields are reported and ignored."""

    user = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("Any action"))] + list(AuditAction.choices),
    )
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=40)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    since = forms.DateField(
        label=_("Since"), required=False, input_formats=DATE_FORMATS, widget=date_input()
    )
    until = forms.DateField(
        label=_("Until"), required=False, input_formats=DATE_FORMATS, widget=date_input()
    )

    def filters(self) -> dict:
        """Return the selector arguments of the valid fields; dates are whole local days."""
        data = getattr(self, "cleaned_data", {})
        since, until = data.get("since"), data.get("until")
        return {
            "user": (data.get("user") or "").strip() or None,
            "action": data.get("action") or None,
            "object_type": (data.get("object_type") or "").strip() or None,
            "object_id": (data.get("object_id") or "").strip() or None,
            "since": local_midnight(since) if since else None,
            "until": local_midnight(until + timedelta(days=1)) if until else None,
        }
