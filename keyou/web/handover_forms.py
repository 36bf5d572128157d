"""The handover form: who leaves, who takes over, optional splits by country, mailboxes.

The same form carries the plan from the first page to the preview (shown) and from the
preview to the confirmation (as hidden fields); the service checks it each time.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from keyou.people.directory import users_active
from keyou.people.handover import HandoverPlan, MailboxChoice, plan_check, rule_countries
from keyou.people.models import User
from keyou.people.services import InvalidInput

SPLIT_ROWS = 3


class _UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name()
        return f"{obj.username} ({name})" if name else obj.username


class HandoverForm(forms.Form):
    departing = _UserChoice(label=_("Departing user"), queryset=User.objects.order_by("username"))
    successor = _UserChoice(
        label=_("Successor"),
        queryset=users_active(),
        help_text=_("Takes over everything no split below sends elsewhere."),
    )
    mailboxes = forms.ChoiceField(
        label=_("Their personal mailboxes"),
        choices=MailboxChoice.choices,
        initial=MailboxChoice.REASSIGN,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan: HandoverPlan | None = None
        for i in range(SPLIT_ROWS):
            self.fields[f"countries_{i}"] = forms.CharField(
                label=_("Countries"),
                required=False,
                max_length=200,
                help_text=_("Country or region codes, e.g. CN, HK") if i == 0 else "",
                widget=forms.TextInput(attrs={"placeholder": "CN, HK"}),
            )
            self.fields[f"split_to_{i}"] = _UserChoice(
                label=_("Goes to"), queryset=users_active(), required=False
            )

    def split_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        """The split rows' (countries, successor) fields, for the template."""
        return [(self[f"countries_{i}"], self[f"split_to_{i}"]) for i in range(SPLIT_ROWS)]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        rules = []
        for i in range(SPLIT_ROWS):
            countries, to = data.get(f"countries_{i}", ""), data.get(f"split_to_{i}")
            if not countries and to is None:
                continue
            if not countries or to is None:
                self.add_error(f"countries_{i}", _("Give both the countries and the user."))
                continue
            try:
                rules.append(rule_countries(countries, to))
            except InvalidInput as exc:
                self.add_error(f"countries_{i}", str(exc))
        if self.errors:
            return data
        plan = HandoverPlan(
            departing=data["departing"],
            successor=data["successor"],
            rules=tuple(rules),
            mailboxes=data["mailboxes"],
        )
        try:
            plan_check(plan)
        except InvalidInput as exc:
            raise forms.ValidationError(str(exc)) from None
        self.plan = plan
        return data
