"""Forms of the tasks, comments and leads pages; services still decide what is allowed.

Times are typed and shown in the user's time zone (the middleware activates it);
the forms hand the services aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from keyou.crm.comments import BODY_MAX
from keyou.crm.models import LeadStatus, Task
from keyou.crm.todo_selectors import task_assignees_for
from keyou.crm.todos import NOTES_MAX, TITLE_MAX
from keyou.people.access import Actor
from keyou.web.grant_forms import DATETIME_FORMATS


def _datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


class TaskForm(forms.Form):
    """Create or edit a task: title, due time, reminder, assignee and notes."""

    title = forms.CharField(label=pgettext_lazy("task or lead", "Title"), max_length=TITLE_MAX)
    due_at = forms.DateTimeField(
        label=_("Due"), required=False, input_formats=DATETIME_FORMATS, widget=_datetime_input()
    )
    remind_at = forms.DateTimeField(
        label=_("Remind me at"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=_datetime_input(),
    )
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=None, empty_label=None)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, actor: Actor, task: Task | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = task_assignees_for(actor, task=task)

    def clean_due_at(self) -> datetime | None:
        return _utc(self.cleaned_data["due_at"])

    def clean_remind_at(self) -> datetime | None:
        return _utc(self.cleaned_data["remind_at"])


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=BODY_MAX,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("Comment for colleagues; @username to mention")}
        ),
    )


class LeadStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=LeadStatus.choices)


class LeadFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status"))] + list(LeadStatus.choices),
    )
