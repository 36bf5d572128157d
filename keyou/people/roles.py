"""The built-in roles and how a user's role is found."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from keyou.people.models import Capability as C
from keyou.people.models import DataScope, Role

_CUSTOMER = [C.VIEW_CUSTOMERS, C.CREATE_CUSTOMERS, C.EDIT_CUSTOMERS]
_SELLING = [*_CUSTOMER, C.VIEW_EMAIL_BODIES, C.VIEW_DEAL_AMOUNTS, C.SEND_MAIL, C.CLAIM_POOL]

# slug → (name, description, scope, by_region, capabilities). Names are stored in
# English and shown translated.
BUILTIN_ROLES: dict[str, tuple[str, str, str, bool, list[str]]] = {
    "admin": (
        gettext_noop("Admin"),
        gettext_noop("Everything, including private threads and settings."),
        DataScope.ALL,
        False,
        list(C.values),
    ),
    "director": (
        gettext_noop("Sales director"),
        gettext_noop("All customers; exports, assignment, rules and the audit log."),
        DataScope.ALL,
        False,
        [*_SELLING, C.DELETE_CUSTOMERS, C.EXPORT, C.ASSIGN, C.MANAGE_RULES, C.VIEW_AUDIT],
    ),
    "regional_manager": (
        gettext_noop("Regional manager"),
        gettext_noop("Customers in her regions, whoever owns them."),
        DataScope.ALL,
        True,
        [*_SELLING, C.EXPORT, C.ASSIGN],
    ),
    "team_lead": (
        gettext_noop("Team lead"),
        gettext_noop("Customers of the team and its sub-teams."),
        DataScope.SUBTREE,
        False,
        [*_SELLING, C.EXPORT, C.ASSIGN, C.MANAGE_RULES],
    ),
    "salesperson": (
        gettext_noop("Salesperson"),
        gettext_noop("Own customers."),
        DataScope.OWN,
        False,
        _SELLING,
    ),
    "support": (
        gettext_noop("Support"),
        gettext_noop("All contacts and emails; no deal amounts."),
        DataScope.ALL,
        False,
        [C.VIEW_CUSTOMERS, C.EDIT_CUSTOMERS, C.VIEW_EMAIL_BODIES, C.SEND_MAIL],
    ),
    "finance": (
        gettext_noop("Finance"),
        gettext_noop("Accounts, deals and orders; no email bodies."),
        DataScope.ALL,
        False,
        [C.VIEW_CUSTOMERS, C.VIEW_DEAL_AMOUNTS, C.EXPORT],
    ),
    "marketing": (
        gettext_noop("Marketing"),
        gettext_noop("Accounts and contacts for campaigns; no email bodies."),
        DataScope.ALL,
        False,
        [C.VIEW_CUSTOMERS, C.CREATE_CUSTOMERS, C.EXPORT],
    ),
}

DEFAULT_ROLE = "salesperson"


def roles_install() -> list[Role]:
    """Create the built-in roles that are missing (an edited built-in role is kept)."""
    out = []
    for slug, (name, description, scope, by_region, caps) in BUILTIN_ROLES.items():
        role, _created = Role.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "builtin": True,
                "scope": scope,
                "by_region": by_region,
                "capabilities": [str(c) for c in caps],
            },
        )
        out.append(role)
    return out


def role_get(slug: str) -> Role:
    """Return the role SLUG (installing the built-ins first if it is one of them)."""
    role = Role.objects.filter(slug=slug).first()
    if role is None and slug in BUILTIN_ROLES:
        roles_install()
        role = Role.objects.get(slug=slug)
    if role is None:
        raise Role.DoesNotExist(slug)
    return role


def role_of(user: Any) -> Role:
    """Return USER's role: their own, admin for superusers, else the default (salesperson)."""
    if getattr(user, "role_id", None):
        return user.role
    return role_get("admin" if getattr(user, "is_superuser", False) else DEFAULT_ROLE)
