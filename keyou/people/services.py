"""Changes to the organisation, teams and users."""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone

from keyou.mail.domains import registrable_domain
from keyou.people.access import forget_reach
from keyou.people.models import Notification, Organization, RegionGroup, Role, Team, User


class InvalidInput(ValueError):
    """Input a user can fix; the message says how."""


def organization_set(
    *, name: str | None = None, domains: Iterable[str] | None = None, time_zone: str | None = None
) -> Organization:
    """Update the organisation's name, own domains and default time zone."""
    org = Organization.get()
    if name is not None:
        org.name = name.strip()
    if domains is not None:
        cleaned = []
        for raw in domains:
            domain = registrable_domain(raw.strip())
            if not domain:
                raise InvalidInput(f"{raw!r} is not a company domain")
            cleaned.append(domain)
        org.own_domains = sorted(set(cleaned))
    if time_zone is not None:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"unknown time zone {time_zone!r}") from None
        org.time_zone = time_zone
    org.save()
    return org


def team_ensure(*, name: str, parent: str | None = None) -> Team:
    """Return the team NAME, creating it (under PARENT) when missing."""
    parent_team = team_ensure(name=parent) if parent else None
    team, created = Team.objects.get_or_create(name=name.strip(), defaults={"parent": parent_team})
    if not created and parent_team and team.parent_id != parent_team.pk:
        team.parent = parent_team
        team.save(update_fields=["parent"])
    return team


def regions_clean(codes: Iterable[str]) -> list[str]:
    """Return region CODES checked and upper-cased: ISO country codes or region group codes."""
    groups = {g.upper() for g in RegionGroup.objects.values_list("code", flat=True)}
    out: list[str] = []
    for raw in codes:
        code = raw.strip().upper()
        if not code:
            continue
        if code not in groups and not (len(code) == 2 and code.isalpha()):
            raise InvalidInput(
                f"{raw!r} is neither a country code (e.g. CN, DE) nor a region group"
            )
        if code not in out:
            out.append(code)
    return out


def role_find(slug: str) -> Role:
    """Return the role SLUG, or raise InvalidInput naming the roles there are."""
    from keyou.people.roles import role_get

    try:
        return role_get(slug.strip())
    except Role.DoesNotExist:
        known = ", ".join(Role.objects.values_list("slug", flat=True))
        raise InvalidInput(f"no role {slug!r}; roles: {known}") from None


@transaction.atomic
def user_add(
    *,
    username: str,
    email: str,
    team: str | None = None,
    admin: bool = False,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    role: str | None = None,
    regions: Iterable[str] | None = None,
) -> User:
    """Create the user USERNAME (or update their email, team, role, regions and admin flag)."""
    if not username.strip():
        raise InvalidInput("a username is required")
    team_obj = team_ensure(name=team) if team else None
    role_obj = role_find("admin" if admin and not role else role) if (role or admin) else None
    user, _created = User.objects.get_or_create(username=username.strip())
    user.email = email.strip()
    if team_obj is not None or _created:
        user.team = team_obj
    user.first_name = first_name or user.first_name
    user.last_name = last_name or user.last_name
    if role_obj is not None:
        user.role = role_obj
        user.is_superuser = user.is_staff = role_obj.slug == "admin"
    if regions is not None:
        user.regions = regions_clean(regions)
    if password:
        user.set_password(password)
    elif not user.has_usable_password() or _created:
        user.set_unusable_password()
    user.save()
    forget_reach(user)
    return user


def notify(user: User, text: str, *, kind: str = "info", url: str = "") -> Notification:
    """Leave USER a notification (shown under the bell in the web app)."""
    return Notification.objects.create(recipient=user, kind=kind, text=text, url=url[:500])


def notifications_mark_read(user: User, ids: list[int] | None = None) -> int:
    """Mark USER's notifications (all, or those with IDS) read; return how many changed."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())
