"""Changes to the organisation, teams and users."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from keyou.audit.models import AuditAction
from keyou.audit.services import audit
from keyou.errors import UserFixableError
from keyou.mail.domains import registrable_domain
from keyou.people.access import Actor, forget_reach, require, team_subtree
from keyou.people.models import (
    Capability,
    DataScope,
    Notification,
    Organization,
    RegionGroup,
    Role,
    Team,
    User,
)


class InvalidInput(UserFixableError):
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
                raise InvalidInput(gettext_noop("%(raw)s is not a company domain"), raw=repr(raw))
            cleaned.append(domain)
        org.own_domains = sorted(set(cleaned))
    if time_zone is not None:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(
                gettext_noop("unknown time zone %(tz)s"), tz=repr(time_zone)
            ) from None
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
                gettext_noop("%(raw)s is neither a country code (e.g. CN, DE) nor a region group"),
                raw=repr(raw),
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
        raise InvalidInput(
            gettext_noop("no role %(slug)s; roles: %(known)s"), slug=repr(slug), known=known
        ) from None


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
    actor: Actor | None = None,
) -> User:
    """Create the user USERNAME (or update their email, team, role, regions and admin flag).

    With ACTOR (the web app, the CLI), the actor needs the manage_users capability
    and the change is audited; without, it is a set-up step (fixtures, createadmin).
    """
    if actor is not None:
        require(actor, Capability.MANAGE_USERS)
    if not username.strip():
        raise InvalidInput(gettext_noop("a username is required"))
    before = _user_snapshot(
        User.objects.filter(username=username.strip()).select_related("team", "role").first()
    )
    team_obj = team_ensure(name=team) if team else None
    role_obj = role_find(role or "admin") if (role or admin) else None
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
    if actor is not None:
        _audit_user(actor, user, before, _user_snapshot(user))
    return user


def notify(
    user: User, text: str, *, kind: str = "info", url: str = "", dedupe_key: str | None = None
) -> Notification:
    """Leave USER a notification (shown under the bell in the web app).

    With DEDUPE_KEY, a second notice with the same key raises IntegrityError. Chat
    channels that want it get a copy after the commit.
    """
    from keyou.automation.channels import channels_fan_out  # automation imports people

    notification = Notification.objects.create(
        recipient=user, kind=kind, text=text, url=url[:500], dedupe_key=dedupe_key
    )
    channels_fan_out(notification)
    return notification


def language_of(user: User) -> str:
    """USER's language if the installation offers it, else the installation's."""
    language = (user.language or "").lower()
    if language not in {code.lower() for code, _name in settings.LANGUAGES}:
        language = settings.LANGUAGE_CODE
    return language


def text_for(user: User, message: str, params: dict | None = None) -> str:
    """Return MESSAGE (an English source marked with gettext_noop) in USER's language."""
    with translation.override(language_of(user)):
        return gettext(message) % (params or {})


def notify_translated(
    user: User, message: str, params: dict | None = None, *, kind: str = "info", url: str = ""
) -> Notification:
    """Notify USER with MESSAGE (an English source marked with gettext_noop) in their language.

    The text is stored translated, so it is rendered in the user's language, else the
    installation's default.
    """
    return notify(user, text_for(user, message, params), kind=kind, url=url)


def notice_once(
    user: User, text: str, *, dedupe_key: str, kind: str = "info", url: str = ""
) -> Notification | None:
    """Leave USER the notice TEXT once per DEDUPE_KEY; None when it was left before.

    A handler run twice (a redelivered event, a second sweep) never notifies twice.
    """
    if Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    try:
        with transaction.atomic():
            return notify(user, text, kind=kind, url=url, dedupe_key=dedupe_key)
    except IntegrityError:
        return None  # a concurrent run left it first; the savepoint dropped ours


def notify_once(
    user: User,
    message: str,
    params: dict | None = None,
    *,
    dedupe_key: str,
    kind: str = "info",
    url: str = "",
) -> Notification | None:
    """Notify USER with MESSAGE (gettext_noop source) in their language, once per DEDUPE_KEY."""
    return notice_once(
        user, text_for(user, message, params), dedupe_key=dedupe_key, kind=kind, url=url
    )


def notifications_mark_read(user: User, ids: list[int] | None = None) -> int:
    """Mark USER's notifications (all, or those with IDS) read; return how many changed."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())


# --- Managing the organisation: teams, users, roles ---------------------------------
#
# Every change below needs the manage_users capability, is audited with what it
# was before and after, and drops the cached reach of the people it touches.


class _Unset:
    """The default of an argument that was not given (None is a value: "no team")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


def _user_snapshot(user: User | None) -> dict | None:
    if user is None:
        return None
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "team": user.team.name if user.team_id else None,
        "role": user.role.slug if user.role_id else None,
        "regions": list(user.regions or []),
        "is_active": user.is_active,
        "admin": user.is_superuser,
    }


def _team_snapshot(team: Team | None) -> dict | None:
    if team is None:
        return None
    return {
        "name": team.name,
        "parent": team.parent.name if team.parent_id else None,
        "manager": team.manager.username if team.manager_id else None,
    }


def _role_snapshot(role: Role | None) -> dict | None:
    if role is None:
        return None
    return {
        "slug": role.slug,
        "name": role.name,
        "description": role.description,
        "capabilities": sorted(role.capabilities or []),
        "scope": role.scope,
        "by_region": role.by_region,
    }


def _changes(before: dict | None, after: dict | None) -> dict:
    """Return {"before": ..., "after": ...} holding only the keys that changed."""
    if before is None or after is None:
        return {"before": before, "after": after}
    keys = [k for k in after if before.get(k) != after[k]]
    return {"before": {k: before.get(k) for k in keys}, "after": {k: after[k] for k in keys}}


def _audit_user(actor: Actor, user: User, before: dict | None, after: dict | None) -> None:
    data = _changes(before, after)
    if data["before"] != data["after"]:
        audit(actor, AuditAction.USER_CHANGE, obj=user, data=data)


def team_find(name: str) -> Team:
    """Return the team called NAME, or raise InvalidInput naming the teams there are."""
    team = Team.objects.filter(name=name.strip()).first()
    if team is None:
        known = ", ".join(Team.objects.values_list("name", flat=True)) or "none yet"
        raise InvalidInput(
            gettext_noop("no team %(name)s; teams: %(known)s"), name=repr(name), known=known
        )
    return team


def user_find(username: str) -> User:
    """Return the user USERNAME, or raise InvalidInput."""
    user = User.objects.filter(username=username.strip()).first()
    if user is None:
        raise InvalidInput(gettext_noop("no user %(name)s"), name=repr(username))
    return user


def _as_team(value: Team | str | None) -> Team | None:
    return team_find(value) if isinstance(value, str) else value


def _as_user(value: User | str | None) -> User | None:
    return user_find(value) if isinstance(value, str) else value


def _as_role(value: Role | str | None) -> Role | None:
    return role_find(value) if isinstance(value, str) else value


def _check_manager(manager: User | None) -> None:
    if manager is not None and (not manager.is_active or manager.departed_at):
        raise InvalidInput(gettext_noop("%(user)s is not an active user"), user=manager.username)


@transaction.atomic
def team_add(
    *,
    actor: Actor,
    name: str,
    parent: Team | str | None = None,
    manager: User | str | None = None,
) -> Team:
    """Create the team NAME under PARENT (the root if None), managed by MANAGER."""
    require(actor, Capability.MANAGE_USERS)
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(gettext_noop("a team needs a name"))
    if Team.objects.filter(name=name).exists():
        raise InvalidInput(gettext_noop("there is already a team %(name)s"), name=repr(name))
    parent_team, manager_user = _as_team(parent), _as_user(manager)
    _check_manager(manager_user)
    team = Team.objects.create(name=name, parent=parent_team, manager=manager_user)
    audit(actor, AuditAction.USER_CHANGE, obj=team, data=_changes(None, _team_snapshot(team)))
    forget_reach(actor)
    return team


@transaction.atomic
def team_update(
    *,
    actor: Actor,
    team: Team,
    name: str | None = None,
    parent: Team | str | None | _Unset = UNSET,
    manager: User | str | None | _Unset = UNSET,
) -> Team:
    """Rename TEAM, move it under PARENT (None: the root) or change its MANAGER.

    A team cannot move under itself or one of its own sub-teams.
    """
    require(actor, Capability.MANAGE_USERS)
    before = _team_snapshot(team)
    if name is not None:
        name = " ".join(name.split())
        if not name:
            raise InvalidInput(gettext_noop("a team needs a name"))
        if Team.objects.filter(name=name).exclude(pk=team.pk).exists():
            raise InvalidInput(gettext_noop("there is already a team %(name)s"), name=repr(name))
        team.name = name
    if not isinstance(parent, _Unset):
        parent_team = _as_team(parent)
        if parent_team is not None and parent_team.pk in team_subtree(team.pk):
            raise InvalidInput(
                gettext_noop(
                    "%(team)s cannot move under %(parent)s: a team cannot be inside itself"
                ),
                team=repr(team.name),
                parent=repr(parent_team.name),
            )
        team.parent = parent_team
    if not isinstance(manager, _Unset):
        manager_user = _as_user(manager)
        _check_manager(manager_user)
        team.manager = manager_user
    team.save()
    data = _changes(before, _team_snapshot(team))
    if data["before"] != data["after"]:
        audit(actor, AuditAction.USER_CHANGE, obj=team, data=data)
    forget_reach(actor)
    return team


def _other_active_admins(user: User) -> bool:
    return User.objects.filter(is_superuser=True, is_active=True).exclude(pk=user.pk).exists()


@transaction.atomic
def user_update(
    *,
    actor: Actor,
    user: User,
    team: Team | str | None | _Unset = UNSET,
    role: Role | str | None | _Unset = UNSET,
    regions: Iterable[str] | _Unset = UNSET,
    is_active: bool | _Unset = UNSET,
    email: str | _Unset = UNSET,
    first_name: str | _Unset = UNSET,
    last_name: str | _Unset = UNSET,
) -> User:
    """Change USER's team, role, regions, active flag, email or name (only what is given).

    The admin role makes the user a superuser (and staff); any other role takes
    that away. The last active admin cannot lose the role or be deactivated.
    """
    require(actor, Capability.MANAGE_USERS)
    before = _user_snapshot(user)
    if not isinstance(team, _Unset):
        user.team = _as_team(team)
    if not isinstance(role, _Unset):
        role_obj = _as_role(role)
        user.role = role_obj
        user.is_superuser = user.is_staff = role_obj is not None and role_obj.slug == "admin"
    if not isinstance(regions, _Unset):
        user.regions = regions_clean(regions)
    if not isinstance(is_active, _Unset):
        user.is_active = bool(is_active)
    if not isinstance(email, _Unset):
        email = email.strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise InvalidInput(
                    gettext_noop("%(email)s is not an email address"), email=repr(email)
                ) from None
        user.email = email
    if not isinstance(first_name, _Unset):
        user.first_name = first_name.strip()[:150]
    if not isinstance(last_name, _Unset):
        user.last_name = last_name.strip()[:150]
    was_admin = bool(before and before["admin"] and before["is_active"])
    if was_admin and not (user.is_superuser and user.is_active) and not _other_active_admins(user):
        raise InvalidInput(
            gettext_noop("%(user)s is the last active admin; make someone else admin first"),
            user=user.username,
        )
    user.save()
    forget_reach(user)
    _audit_user(actor, user, before, _user_snapshot(user))
    return user


def _role_clean(
    role: Role | None,
    *,
    slug: str,
    name: str,
    capabilities: Iterable[str],
    scope: str,
) -> tuple[str, str, list[str]]:
    slug, name = slug.strip(), " ".join(name.split())
    try:
        validate_slug(slug)
    except ValidationError:
        raise InvalidInput(
            gettext_noop("%(slug)s is not a role code: use letters, digits, '_' and '-'"),
            slug=repr(slug),
        ) from None
    if len(slug) > 40:
        raise InvalidInput(gettext_noop("a role code has at most 40 characters"))
    if not name:
        raise InvalidInput(gettext_noop("a role needs a name"))
    if Role.objects.filter(slug=slug).exclude(pk=role.pk if role else None).exists():
        raise InvalidInput(gettext_noop("there is already a role %(slug)s"), slug=repr(slug))
    caps = sorted({str(c).strip() for c in capabilities if str(c).strip()})
    unknown = [c for c in caps if c not in Capability.values]
    if unknown:
        raise InvalidInput(
            gettext_noop("unknown capabilities %(unknown)s; known: %(known)s"),
            unknown=", ".join(unknown),
            known=", ".join(Capability.values),
        )
    if scope not in DataScope.values:
        raise InvalidInput(
            gettext_noop("scope must be one of %(scopes)s"), scopes=", ".join(DataScope.values)
        )
    return slug, name, caps


@transaction.atomic
def role_save(
    *,
    actor: Actor,
    role: Role | None = None,
    slug: str,
    name: str,
    description: str = "",
    capabilities: Iterable[str],
    scope: str,
    by_region: bool = False,
) -> Role:
    """Create a role (ROLE None) or change ROLE: its name, capabilities and data scope.

    A built-in role keeps its code; the admin role keeps every capability and
    sees everything.
    """
    require(actor, Capability.MANAGE_USERS)
    slug, name, caps = _role_clean(
        role, slug=slug, name=name, capabilities=capabilities, scope=scope
    )
    before = _role_snapshot(role)
    if role is not None and role.builtin and slug != role.slug:
        raise InvalidInput(
            gettext_noop("the built-in role %(slug)s keeps its code"), slug=repr(role.slug)
        )
    if (
        role is not None
        and role.slug == "admin"
        and (
            caps != sorted(role.capabilities or [])
            or scope != role.scope
            or by_region != role.by_region
        )
    ):
        raise InvalidInput(
            gettext_noop("the admin role always has every capability and sees everything")
        )
    role = role or Role(builtin=False)
    role.slug, role.name, role.description = slug, name, description.strip()[:300]
    role.capabilities, role.scope, role.by_region = caps, scope, bool(by_region)
    role.save()
    after = _role_snapshot(role)
    if before != after:  # the whole role, before and after: small, and clearer to read
        audit(actor, AuditAction.ROLE_CHANGE, obj=role, data={"before": before, "after": after})
    forget_reach(actor)
    return role


@transaction.atomic
def role_delete(*, actor: Actor, role: Role) -> None:
    """Delete ROLE: only a role that is not built in and that nobody has."""
    require(actor, Capability.MANAGE_USERS)
    if role.builtin:
        raise InvalidInput(
            gettext_noop("the built-in role %(slug)s cannot be deleted"), slug=repr(role.slug)
        )
    holders = User.objects.filter(role=role).count()
    if holders:
        raise InvalidInput(
            gettext_noop("%(n)d user(s) still have the role %(slug)s"),
            n=holders,
            slug=repr(role.slug),
        )
    pk, before = role.pk, _role_snapshot(role)
    role.delete()
    audit(
        actor,
        AuditAction.ROLE_CHANGE,
        object_type="role",
        object_id=pk,
        data={"before": before, "after": None},
    )
    forget_reach(actor)
