"""The form of the business-hours pages; the service in keyou.automation.calendars still decides.

Working hours and holidays are typed as text (what `keyou.automation.hours_text`
reads); each field reports its own mistake, holiday lines with their number.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from keyou.automation.calendars import MAX_REPLY_MINUTES
from keyou.automation.hours_text import (
    holidays_format,
    holidays_parse,
    periods_format,
    periods_parse,
)
from keyou.automation.models import BusinessCalendar
from keyou.automation.sla import InvalidHours
from keyou.people.models import Team


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class HoursForm(forms.Form):
    """Business hours of the company (no team) or of one team."""

    name = forms.CharField(label=_("Name"), max_length=120)
    team = forms.ModelChoiceField(
        label=_("Team"),
        required=False,
        queryset=Team.objects.all(),
        empty_label=_("The whole company (default)"),
        help_text=_("Sub-teams without their own hours use these too."),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"))
    workdays = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        coerce=int,
        error_messages={"required": _("Choose at least one working day.")},
        choices=[(str(number), name) for number, name in WEEKDAYS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    periods = forms.CharField(
        label=_("Working hours"),
        max_length=300,
        help_text=_("Periods separated by commas, e.g. 09:00-12:00, 13:30-18:00"),
    )
    holidays = forms.CharField(
        label=_("Holidays and make-up working days"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_(
            "One line per day or range: “2026-10-01..2026-10-07 off” for days off, "
            "“2026-10-10 work” for a make-up working day (调休). Text after # is a comment "
            "and is not kept."
        ),
    )
    reply_minutes = forms.IntegerField(
        label=_("Reply within (working minutes)"), min_value=1, max_value=MAX_REPLY_MINUTES
    )
    inquiry_reply_minutes = forms.IntegerField(
        label=_("Answer inquiries within (working minutes)"),
        min_value=1,
        max_value=MAX_REPLY_MINUTES,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _time_zone_choices()

    @staticmethod
    def initial_for(calendar: BusinessCalendar) -> dict[str, Any]:
        """Return the form's initial values showing CALENDAR (saved or a default)."""
        return {
            "name": calendar.name,
            "team": calendar.team_id,
            "time_zone": calendar.time_zone,
            "workdays": [str(d) for d in calendar.workdays or []],
            "periods": periods_format(calendar.periods or []),
            "holidays": holidays_format(calendar.holidays or {}),
            "reply_minutes": calendar.reply_minutes,
            "inquiry_reply_minutes": calendar.inquiry_reply_minutes,
        }

    def clean_periods(self) -> list[list[str]]:
        try:
            return periods_parse(self.cleaned_data["periods"])
        except InvalidHours as exc:
            raise forms.ValidationError(exc.localized()) from None

    def clean_holidays(self) -> dict:
        try:
            return holidays_parse(self.cleaned_data["holidays"])
        except InvalidHours as exc:
            raise forms.ValidationError(exc.localized()) from None
