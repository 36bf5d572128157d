"""Forms of the deal pages; the services in `keyou.deals` still decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from keyou.crm.models import Account
from keyou.deals.models import DealStatus, LostReason, Pipeline, RecordKind, Stage, StageKind
from keyou.deals.records import STATUSES
from keyou.deals.selectors import DealFilters
from keyou.deals.stages import LOST_REASON, REQUIRABLE, label
from keyou.people.models import User
from keyou.web.forms import DATE_FORMATS, date_input


class LabelChoiceField(forms.ModelChoiceField):
    """A choice of pipelines, stages or lost reasons, built-in names shown translated."""

    def label_from_instance(self, obj: Any) -> str:
        return label(obj.name)


def _users() -> Any:
    return User.objects.filter(is_active=True, departed_at__isnull=True).order_by("username")


def _amount_field(required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Amount"), required=required, min_value=0, max_digits=16, decimal_places=2
    )


def _currency_field(required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=_("Currency"),
        required=required,
        max_length=3,
        widget=forms.TextInput(attrs={"size": 4, "placeholder": "USD"}),
    )


def _date_field(name: Any, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=name, required=required, input_formats=DATE_FORMATS, widget=date_input()
    )


class StageChoiceField(forms.ModelChoiceField):
    """A choice among the stages of every pipeline: "Pipeline · Stage", names translated."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{label(obj.pipeline.name)} · {label(obj.name)}"


class DealForm(forms.Form):
    """Create or edit a deal: title, money, expected close, source, contacts and owner."""

    title = forms.CharField(label=pgettext_lazy("deal", "Title"), max_length=300)
    pipeline = LabelChoiceField(
        label=_("Pipeline"), queryset=Pipeline.objects.all(), empty_label=None
    )
    amount = _amount_field()
    currency = _currency_field()
    expected_close = _date_field(_("Expected close"))
    source = forms.CharField(label=_("Source"), required=False, max_length=80)
    contacts = forms.ModelMultipleChoiceField(
        label=_("Contacts"), required=False, queryset=None, widget=forms.CheckboxSelectMultiple
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)

    def __init__(self, *args, account: Account, show_amounts: bool, editing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = account.contacts.order_by("name")
        self.fields["owner"].queryset = _users()
        if editing:
            del self.fields["pipeline"]
        if not show_amounts:
            del self.fields["amount"]
            del self.fields["currency"]

    def changes(self) -> dict:
        """Return the cleaned deal fields (those the form shows) for the services."""
        data = self.cleaned_data
        out = {"title": data["title"], "source": data["source"]}
        out["expected_close"] = data["expected_close"]
        if "amount" in self.fields:
            out["amount"] = data["amount"]
            out["currency"] = data["currency"]
        return out


class LineForm(forms.Form):
    product = forms.CharField(label=_("Product"), required=False, max_length=200)
    quantity = forms.DecimalField(
        label=_("Quantity"), required=False, min_value=0, max_digits=14, decimal_places=3
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"), required=False, min_value=0, max_digits=16, decimal_places=2
    )


LineFormSet = forms.formset_factory(LineForm, extra=3, max_num=200, absolute_max=200)


class DealFilterForm(forms.Form):
    """Narrow the deals list; an invalid field is left out of the filters."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    pipeline = LabelChoiceField(
        label=_("Pipeline"), queryset=Pipeline.objects.all(), required=False
    )
    stage = StageChoiceField(
        label=_("Stage"),
        queryset=Stage.objects.select_related("pipeline").order_by(
            "pipeline__position", "pipeline_id", "position", "id"
        ),
        required=False,
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "—"), *DealStatus.choices]
    )
    close_from = _date_field(_("Closing from"))
    close_to = _date_field(_("Closing until"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _users()

    def filters(self) -> DealFilters:
        data = self.cleaned_data if self.is_bound else {}
        ok = lambda name: name not in self.errors and data.get(name)  # noqa: E731
        return DealFilters(
            pipeline_id=data["pipeline"].pk if ok("pipeline") else None,
            stage_id=data["stage"].pk if ok("stage") else None,
            owner_id=data["owner"].pk if ok("owner") else None,
            status=data["status"] if ok("status") else "",
            q=data["q"] if ok("q") else "",
            close_from=data["close_from"] if ok("close_from") else None,
            close_to=data["close_to"] if ok("close_to") else None,
        )


class MoveForm(forms.Form):
    """Move a deal to a stage, with the fields that stage still needs (FIELDS)."""

    stage = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)
    amount = _amount_field(required=True)
    currency = _currency_field(required=True)
    expected_close = _date_field(_("Expected close"), required=True)
    source = forms.CharField(label=_("Source"), max_length=80)
    contacts = forms.ModelMultipleChoiceField(
        label=_("Contacts"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    lost_reason = LabelChoiceField(
        label=_("Lost reason"), queryset=LostReason.objects.filter(active=True)
    )
    lost_note = forms.CharField(
        label=_("Why it was lost"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, pipeline: Pipeline, account: Account, fields: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = pipeline.stages.all()
        self.fields["contacts"].queryset = account.contacts.order_by("name")
        keep = set(fields) | {"stage"}
        if LOST_REASON in fields:
            keep.add("lost_note")
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]

    def values(self) -> dict:
        """Return the fields filled in, as `values` for deal_move_stage."""
        return {k: v for k, v in self.cleaned_data.items() if k != "stage"}


class RecordForm(forms.Form):
    """Add a quote, order or payment to a deal."""

    kind = forms.ChoiceField(label=_("Kind"), choices=RecordKind.choices)
    number = forms.CharField(
        label=_("Number"),
        required=False,
        max_length=60,
        help_text=_("Leave empty to number it automatically."),
    )
    date = _date_field(_("Date"), required=True)
    amount = _amount_field(required=True)
    currency = _currency_field()
    status = forms.ChoiceField(label=_("Status"), required=False)
    attachment = forms.TypedChoiceField(
        label=_("Attachment from the customer's mail"), required=False, coerce=int, empty_value=None
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, attachments: list, **kwargs):
        super().__init__(*args, **kwargs)
        from keyou.deals.models import RecordStatus

        statuses = sorted({s for kind in STATUSES.values() for s in kind})
        self.fields["status"].choices = [("", _("(the first for its kind)"))] + [
            (s, RecordStatus(s).label) for s in statuses
        ]
        self.fields["attachment"].choices = [("", "—")] + [
            (a.pk, f"{a.filename} · {a.message.subject or ''}"[:120]) for a in attachments
        ]


class RecordStatusForm(forms.Form):
    status = forms.CharField(max_length=10)


# --- Settings -----------------------------------------------------------------------------


class PipelineForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)


class StageAddForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=StageKind.choices)
    probability = forms.IntegerField(label=_("Win probability (%)"), min_value=0, max_value=100)


def sop_text(sop: list[dict]) -> str:
    """Return SOP as the lines the settings textarea shows: title | days | assignee | a; b."""
    return "\n".join(
        " | ".join(
            [
                item["title"],
                str(item.get("due_days", 0)),
                item.get("assignee", "owner"),
                "; ".join(item.get("checklist") or []),
            ]
        )
        for item in sop or []
    )


def sop_parse(text: str) -> list[dict]:
    """Return the SOP items typed as lines of `title | working days | assignee | a; b`."""
    items = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")] + ["", "", ""]
        items.append(
            {
                "title": parts[0],
                "due_days": parts[1] or 0,
                "assignee": parts[2] or "owner",
                "checklist": [c.strip() for c in parts[3].split(";") if c.strip()],
            }
        )
    return items


class StageForm(forms.Form):
    """One stage's settings on the pipelines page."""

    name = forms.CharField(label=_("Name"), max_length=120)
    probability = forms.IntegerField(label=_("Win probability (%)"), min_value=0, max_value=100)
    required_fields = forms.MultipleChoiceField(
        label=_("Required to enter"),
        required=False,
        choices=list(REQUIRABLE.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    stall_days = forms.IntegerField(
        label=_("Stalled after (days)"), required=False, min_value=1, max_value=3650
    )
    sop = forms.CharField(
        label=_("Tasks on entry"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One task a line: title | working days | owner, manager or director | checklist; items"
        ),
    )


class RateForm(forms.Form):
    currency = _currency_field(required=True)
    rate = forms.DecimalField(label=_("Rate"), min_value=0, max_digits=18, decimal_places=8)
    valid_from = _date_field(_("Valid from"), required=True)


class LostReasonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
