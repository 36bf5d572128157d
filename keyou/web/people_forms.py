"""Forms of the people pages: users, teams, roles and assigning an account.

They parse and check the shape of the input; the services in keyou.people
still decide what is allowed (cycles in the tree, the admin role, ...).
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from keyou.people.access import team_subtree
from keyou.people.directory import users_active
from keyou.people.models import Capability, DataScope, Role, Team, User
from keyou.people.services import InvalidInput, regions_clean


class RegionsField(forms.CharField):
    """Country codes and region groups as text: "CN, DE, EU"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Regions"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault(
            "help_text", _("Country codes or region groups, separated by commas: CN, DE, EU")
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def clean(self, value) -> list[str]:
        text = super().clean(value) or ""
        try:
            return regions_clean(text.replace(";", ",").split(","))
        except InvalidInput as exc:
            raise forms.ValidationError(exc.localized()) from None


class RoleChoiceField(forms.ModelChoiceField):
    """A role, shown by its translated name (built-in names are stored in English)."""

    def label_from_instance(self, obj: Role) -> str:
        return gettext(obj.name)


class _UserFields(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=150)
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.all(), empty_label=_("No team")
    )
    role = RoleChoiceField(label=_("Role"), queryset=Role.objects.all())
    regions = RegionsField()


class UserCreateForm(_UserFields):
    username = forms.RegexField(
        label=_("Username"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": _("Letters, digits and @ . + - _ only.")},
    )
    password = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("The user can change it later."),
    )

    field_order = ["username", "email", "first_name", "last_name", "team", "role", "regions"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError(_("This username is taken."))
        return username

    def clean(self):
        data = super().clean()
        password = data.get("password")
        if password:
            try:
                validate_password(password, User(username=data.get("username", "")))
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class UserEditForm(_UserFields):
    is_active = forms.BooleanField(
        label=pgettext_lazy("user state", "Active"),
        required=False,
        help_text=_("An inactive user can no longer log in."),
    )


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    parent = forms.ModelChoiceField(
        label=_("Belongs to"),
        required=False,
        queryset=Team.objects.all(),
        empty_label=_("Nothing (top of the tree)"),
    )
    manager = forms.ModelChoiceField(
        label=_("Manager"), required=False, queryset=users_active(), empty_label=_("Nobody")
    )

    def __init__(self, *args, team: Team | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if team is not None:
            # Offer no team inside this one (the service refuses such a move anyway).
            self.fields["parent"].queryset = Team.objects.exclude(pk__in=team_subtree(team.pk))
            if team.manager_id:  # a departed manager stays shown until replaced
                self.fields["manager"].queryset = users_active() | User.objects.filter(
                    pk=team.manager_id
                )


class RoleForm(forms.Form):
    slug = forms.SlugField(
        label=_("Code"), max_length=40, help_text=_("Letters, digits, - and _; used by the CLI.")
    )
    name = forms.CharField(label=_("Name"), max_length=80)
    description = forms.CharField(label=_("Description"), required=False, max_length=300)
    capabilities = forms.MultipleChoiceField(
        label=_("Capabilities"),
        required=False,
        choices=Capability.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    scope = forms.ChoiceField(label=_("Data scope"), choices=DataScope.choices)
    by_region = forms.BooleanField(
        label=_("Only customers in the user's regions"),
        required=False,
        help_text=_("Customers the user owns stay visible."),
    )

    def __init__(self, *args, role: Role | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if role is not None and role.builtin:
            self.fields["slug"].disabled = True


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("New owner"), queryset=users_active(), empty_label=_("Choose a person")
    )
