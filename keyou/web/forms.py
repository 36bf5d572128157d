"""Forms that parse what the web pages send; services still decide what is allowed."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from keyou.crm.models import ActivityKind, Contact, Lifecycle
from keyou.crm.selectors import ACCOUNT_SORTS, AccountFilters
from keyou.people.models import Team, User
from keyou.web.selectors import Cursor

DEFAULT_SORT = "-last_contact"
# <input type="date"> and type="time" speak ISO whatever the UI language.
DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d"]
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def local_midnight(day: date) -> datetime:
    """Return the start of DAY in the active time zone, as an aware UTC datetime."""
    return timezone.make_aware(datetime.combine(day, time.min)).astimezone(UTC)


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


# --- Preferences ---------------------------------------------------------------


class PreferencesForm(forms.ModelForm):
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Same as the browser"))] + list(settings.LANGUAGES),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_("Empty: the company's time zone."),
    )

    class Meta:
        model = User
        fields = ["language", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [("", _("Company default"))] + _time_zone_choices()


# --- Accounts list ---------------------------------------------------------------


class AccountFilterForm(forms.Form):
    """The GET form of the accounts list; invalid fields are reported and ignored."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, domain, contact or email")}
        ),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        required=False,
        queryset=User.objects.filter(is_active=True).order_by("username"),
        empty_label=_("Anyone"),
    )
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.all(), empty_label=_("Any team")
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=80)
    lifecycle = forms.ChoiceField(
        label=_("Lifecycle"),
        required=False,
        choices=[("", _("Any stage"))] + list(Lifecycle.choices),
    )
    country = forms.CharField(label=_("Country"), required=False, max_length=2)
    after = forms.DateField(
        label=_("Last contact since"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=date_input(),
    )
    before = forms.DateField(
        label=_("Last contact before"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=date_input(),
    )
    awaiting = forms.BooleanField(label=_("Awaiting our reply"), required=False)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_sort(self) -> str:
        value = self.cleaned_data.get("sort") or DEFAULT_SORT
        return value if value in ACCOUNT_SORTS else DEFAULT_SORT

    def filters(self) -> AccountFilters:
        """Return the filters of the valid fields (call after is_valid())."""
        data = getattr(self, "cleaned_data", {})
        owner, team = data.get("owner"), data.get("team")
        after, before = data.get("after"), data.get("before")
        return AccountFilters(
            q=data.get("q") or "",
            owner_id=owner.pk if owner else None,
            team_id=team.pk if team else None,
            tag=(data.get("tag") or "").strip(),
            lifecycle=data.get("lifecycle") or "",
            country=(data.get("country") or "").strip(),
            last_contact_after=local_midnight(after) if after else None,
            last_contact_before=local_midnight(before) if before else None,
            awaiting_reply=bool(data.get("awaiting")),
            sort=data.get("sort") or DEFAULT_SORT,
        )


def parse_page(value: str | None) -> int:
    """Return the page number in VALUE, or 1 when it is missing or not a positive number."""
    try:
        number = int(value or 1)
    except (TypeError, ValueError):
        return 1
    return number if number >= 1 else 1


# --- Account page ----------------------------------------------------------------


class TimelineFilterForm(forms.Form):
    """Narrow a timeline by kind and contact; a contact of another account just matches nothing."""

    kind = forms.MultipleChoiceField(
        label=_("Show"),
        required=False,
        choices=ActivityKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    contact = forms.IntegerField(label=_("Contact"), required=False, min_value=1)
    before = forms.CharField(required=False, widget=forms.HiddenInput)

    def options(self) -> dict:
        """Return the selector arguments of the valid fields (call after is_valid())."""
        data = getattr(self, "cleaned_data", {})
        return {
            "kinds": set(data.get("kind") or ()) or None,
            "contact_id": data.get("contact") or None,
            "cursor": Cursor.decode(data.get("before")),
        }

    def query(self) -> dict[str, object]:
        """Return the valid filters (without the page cursor) as URL parameters."""
        data = getattr(self, "cleaned_data", {})
        params: dict[str, object] = {}
        if data.get("kind"):
            params["kind"] = list(data["kind"])
        if data.get("contact"):
            params["contact"] = data["contact"]
        return params


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Write a note…")}),
    )


class InteractionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=[
            (ActivityKind.CALL, ActivityKind.CALL.label),
            (ActivityKind.MEETING, ActivityKind.MEETING.label),
        ],
    )
    day = forms.DateField(label=_("Date"), input_formats=DATE_FORMATS, widget=date_input())
    at = forms.TimeField(
        label=_("Time"),
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    duration_minutes = forms.IntegerField(
        label=_("Minutes"), required=False, min_value=0, max_value=24 * 60
    )
    contacts = forms.ModelMultipleChoiceField(
        label=_("With"),
        required=False,
        queryset=Contact.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    summary = forms.CharField(
        label=_("What was discussed"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    outcome = forms.CharField(label=_("Outcome"), required=False, max_length=2000)
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=2000)

    def __init__(self, *args, contacts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if contacts is not None:
            # Only this account's contacts are valid choices; others are a form error.
            self.fields["contacts"].queryset = contacts

    def occurred_at(self) -> datetime:
        """Return the date and time, read in the user's time zone, as an aware UTC datetime."""
        local = datetime.combine(self.cleaned_data["day"], self.cleaned_data["at"])
        return timezone.make_aware(local).astimezone(UTC)


class TagForm(forms.Form):
    name = forms.CharField(label=_("Tag"), max_length=80)


class AccountEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255)
    country = forms.CharField(
        label=_("Country"),
        required=False,
        max_length=2,
        help_text=_("Two letters, such as CN or DE."),
    )
    source = forms.CharField(label=_("Source"), required=False, max_length=80)
    lifecycle = forms.ChoiceField(label=_("Lifecycle"), choices=Lifecycle.choices)


class ContactCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=255)
    email = forms.EmailField(
        label=pgettext_lazy("email address", "Email"), required=False, max_length=320
    )
    title = forms.CharField(label=_("Title"), required=False, max_length=255)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=60)
    # Offered when the duplicate check warns (the phone is another customer's contact's).
    confirm_duplicates = forms.BooleanField(
        label=_("Add it anyway: it is not the contact above"), required=False
    )

    def clean(self):
        data = super().clean()
        if not self.errors and not any(data.get(f) for f in ("name", "email", "phone")):
            raise forms.ValidationError(_("Give a name or an email address."))
        return data
