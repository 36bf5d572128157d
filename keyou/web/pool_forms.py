"""Forms of the public pool pages: the pool filters, a release, a reclaim policy."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from keyou.crm.models import Lifecycle, Tier
from keyou.people.models import Team
from keyou.pool.models import PoolPolicy, ReclaimTrigger, Redistribute
from keyou.web.routing_forms import ListField


class PoolFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    country = forms.CharField(label=_("Country"), required=False, max_length=2)
    tier = forms.ChoiceField(
        label=_("Value tier"), required=False, choices=[("", _("Any"))] + list(Tier.choices)
    )
    lifecycle = forms.ChoiceField(
        label=_("Lifecycle"), required=False, choices=[("", _("Any"))] + list(Lifecycle.choices)
    )


class ReleaseForm(forms.Form):
    reason = forms.CharField(label=_("Why"), required=False, max_length=300)


class PoolPolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    position = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=1_000_000,
        required=False,
        help_text=_(
            "Policies are tried from the lowest number; the first that covers an account applies."
        ),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    trigger = forms.ChoiceField(label=_("When"), choices=ReclaimTrigger.choices)
    after = forms.IntegerField(label=_("After"), min_value=1, max_value=100_000, initial=15)
    after_unit = forms.ChoiceField(
        label=_("Unit"), choices=[("days", _("days")), ("hours", _("hours"))], initial="days"
    )
    lifecycles = forms.MultipleChoiceField(
        label=_("Lifecycles (none: any)"),
        choices=Lifecycle.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tiers = forms.MultipleChoiceField(
        label=_("Value tiers (none: any)"),
        choices=Tier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tags = ListField(label=_("Tags (any of them; empty: any)"))
    warn_hours = forms.IntegerField(
        label=_("Warn the owner (hours before)"), min_value=0, max_value=24 * 30, initial=24
    )
    protection_days = forms.IntegerField(
        label=_("Protection when the customer replies (days)"),
        min_value=0,
        max_value=365,
        initial=7,
    )
    requires_approval = forms.BooleanField(label=_("Needs a manager's approval"), required=False)
    redistribute = forms.ChoiceField(
        label=_("Then"), choices=Redistribute.choices, initial=Redistribute.STAY
    )
    redistribute_team = forms.ModelChoiceField(
        label=_("Team to share among"),
        queryset=Team.objects.all(),
        required=False,
        empty_label=_("The account's own team"),
    )

    def after_hours(self) -> int:
        data = self.cleaned_data
        return data["after"] * (24 if data["after_unit"] == "days" else 1)

    @classmethod
    def initial_for(cls, policy: PoolPolicy) -> dict:
        """Return the form's initial values for POLICY (whole days shown as days)."""
        days = policy.after_hours % 24 == 0
        return {
            "name": policy.name,
            "position": policy.position,
            "enabled": policy.enabled,
            "trigger": policy.trigger,
            "after": policy.after_hours // 24 if days else policy.after_hours,
            "after_unit": "days" if days else "hours",
            "lifecycles": policy.lifecycles,
            "tiers": policy.tiers,
            "tags": policy.tags,
            "warn_hours": policy.warn_hours,
            "protection_days": policy.protection_days,
            "requires_approval": policy.requires_approval,
            "redistribute": policy.redistribute,
            "redistribute_team": policy.redistribute_team_id,
        }
