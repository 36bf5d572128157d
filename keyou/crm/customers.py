"""Accounts created by hand (a form, the command line, an import), behind the duplicate check.

Mail filing creates most accounts (keyou.crm.matching); people create the rest here. Before
anything is written, `duplicates_guard` looks for the customer under another account
(keyou.crm.duplicates) and applies the organisation's setting: "block" refuses any match,
"warn" refuses until the user confirms. A company domain or an email address that
already belongs to another account is refused in both modes: each can have one owner only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from keyou.audit.models import AuditAction
from keyou.audit.services import audit
from keyou.automation.events import ACCOUNT_CREATED, event_emit
from keyou.crm.duplicates import (
    DEFAULT_PHONE_REGION,
    DuplicateMatch,
    Reason,
    company_domain,
    company_key,
    duplicates_find,
)
from keyou.crm.models import Account, AccountDomain, Lifecycle, Tier
from keyou.crm.phones import normalize_phone
from keyou.crm.services import InvalidChange, contact_add
from keyou.mail.domains import is_free_mail, registrable_domain
from keyou.mail.parse import normalize_email
from keyou.people.access import SYSTEM, Actor, require
from keyou.people.models import Capability, Organization, User
from keyou.search.services import search_index_accounts

__all__ = [
    "DuplicateFound",
    "account_create",
    "duplicate_mode",
    "duplicate_mode_set",
    "duplicates_guard",
]

BLOCK, WARN = "block", "warn"
CONTACT_FIELDS = ("name", "email", "phone", "title")


class DuplicateFound(InvalidChange):
    """The customer may exist already; MATCHES say where, in words safe for the actor.

    BLOCKING: no confirmation lets it through (the "block" setting, or a domain or an
    email address another account holds); otherwise the user may confirm and go on.
    """

    _BLOCKED = gettext_noop("this customer already exists: %(matches)s")
    _WARNED = gettext_noop(
        "this customer may already exist: %(matches)s; confirm to create it anyway"
    )

    def __init__(self, matches: list[DuplicateMatch], *, blocking: bool) -> None:
        self.matches = matches
        self.blocking = blocking
        with translation.override("en"):  # str() is English, for the CLI and the API
            described = "; ".join(m.describe() for m in matches)
        super().__init__(self._BLOCKED if blocking else self._WARNED, matches=described)

    def localized(self) -> str:
        """Return the message, and the matches, in the active language."""
        return gettext(self.template) % {"matches": "; ".join(m.describe() for m in self.matches)}


def duplicate_mode() -> str:
    """Return what a duplicate does to a new customer: "block", or "warn" (the default)."""
    return BLOCK if Organization.get().duplicate_mode == BLOCK else WARN


@transaction.atomic
def duplicate_mode_set(*, actor: Actor, mode: str) -> str:
    """Set what a duplicate does to a new customer, "block" or "warn"; audited.

    The organisation's settings are the administrators': ACTOR needs manage_users.
    """
    require(actor, Capability.MANAGE_USERS)
    if mode not in (BLOCK, WARN):
        raise InvalidChange(gettext_noop("the duplicate mode is block or warn"))
    org = Organization.get()
    before = org.duplicate_mode
    if before != mode:
        org.duplicate_mode = mode
        org.save(update_fields=["duplicate_mode", "updated_at"])
        audit(actor, AuditAction.CHANGE, obj=org, data={"duplicate_mode": [before, mode]})
    return mode


def duplicates_guard(
    actor: Actor,
    *,
    name: str = "",
    domains: Iterable[str] = (),
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    country: str = "",
    exclude_account: Account | int | None = None,
    email_domains: bool = True,
    confirm: bool = False,
) -> list[DuplicateMatch]:
    """Raise DuplicateFound when the customer described may exist already.

    In warn mode CONFIRM lets soft matches through (same name, phone, or the domain of a
    contact's address); return them, for the record. Another account's company domain
    among DOMAINS, or its contact's address among EMAILS, always raises.
    """
    domains = list(domains)
    matches = duplicates_find(
        actor,
        name=name,
        domains=domains,
        emails=emails,
        phones=phones,
        country=country,
        exclude_account=exclude_account,
        email_domains=email_domains,
    )
    if not matches:
        return []
    own = {company_domain(d) for d in domains} - {""}
    taken = any(
        Reason.EMAIL in m.reasons or own & set(m.matched.get(Reason.DOMAIN, ())) for m in matches
    )
    if taken or duplicate_mode() == BLOCK:
        raise DuplicateFound(matches, blocking=True)
    if not confirm:
        raise DuplicateFound(matches, blocking=False)
    return matches


def _clean_domains(domains: Iterable[str]) -> list[str]:
    out: list[str] = []
    for raw in domains:
        text = (raw or "").strip()
        if not text:
            continue
        host = text.casefold().removeprefix("https://").removeprefix("http://")
        host = host.split("/", 1)[0].rpartition("@")[2]
        domain = registrable_domain(host)
        if not domain:
            raise InvalidChange(gettext_noop("%(domain)s is not a domain"), domain=repr(text))
        if is_free_mail(domain):
            raise InvalidChange(
                gettext_noop("%(domain)s is free mail: it cannot identify a company"),
                domain=domain,
            )
        if domain not in out:
            out.append(domain)
    return out


def _clean_fields(name: str, country: str, lifecycle: str, tier: str, source: str) -> dict:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidChange(gettext_noop("an account needs a name"))
    if len(name) > 255:
        raise InvalidChange(gettext_noop("a name can hold at most 255 characters"))
    country = (country or "").strip().upper()
    if country and (len(country) != 2 or not country.isalpha() or not country.isascii()):
        raise InvalidChange(gettext_noop("country is a two-letter code such as CN or DE"))
    lifecycle = (lifecycle or Lifecycle.PROSPECT).strip()
    if lifecycle not in Lifecycle.values:
        raise InvalidChange(
            gettext_noop("lifecycle must be one of %(choices)s"),
            choices=", ".join(Lifecycle.values),
        )
    tier = (tier or "").strip().upper()
    if tier not in ("", *Tier.values):
        raise InvalidChange(
            gettext_noop("tier must be one of %(choices)s"), choices=", ".join(Tier.values)
        )
    source = (source or "").strip()
    if len(source) > 80:
        raise InvalidChange(gettext_noop("a source can hold at most 80 characters"))
    return {
        "name": name,
        "country": country,
        "lifecycle": lifecycle,
        "tier": tier,
        "source": source,
    }


def _clean_contact(contact: Mapping[str, Any] | None, country: str) -> dict[str, str] | None:
    if not contact:
        return None
    unknown = set(contact) - set(CONTACT_FIELDS)
    if unknown:
        raise InvalidChange(
            gettext_noop("a contact has no field %(fields)s"), fields=", ".join(sorted(unknown))
        )
    out = {f: str(contact.get(f) or "").strip() for f in CONTACT_FIELDS}
    if not any(out.values()):
        return None
    if out["email"]:
        address = normalize_email(out["email"])
        if not address:
            raise InvalidChange(
                gettext_noop("%(email)s is not an email address"), email=repr(out["email"])
            )
        out["email"] = address
    if out["phone"]:
        number = normalize_phone(out["phone"], country or DEFAULT_PHONE_REGION)
        if not number:
            raise InvalidChange(
                gettext_noop("%(phone)s is not a phone number"), phone=repr(out["phone"])
            )
        out["phone"] = number
    if not (out["name"] or out["email"] or out["phone"]):
        raise InvalidChange(
            gettext_noop("a contact needs a name, an email address or a phone number")
        )
    return out


def _owner_for(actor: Actor, owner: User | None) -> User | None:
    if owner is None:
        return None if actor is SYSTEM else actor
    if actor is SYSTEM or owner.pk != actor.pk:
        require(actor, Capability.ASSIGN)
    if not owner.is_active or owner.departed_at:
        raise InvalidChange(gettext_noop("%(user)s is not an active user"), user=owner.username)
    return owner


@transaction.atomic
def account_create(
    *,
    actor: Actor,
    name: str,
    domains: Iterable[str] = (),
    country: str = "",
    source: str = "",
    lifecycle: str = Lifecycle.PROSPECT,
    tier: str = "",
    owner: User | None = None,
    contact: Mapping[str, Any] | None = None,
    confirm_duplicates: bool = False,
    via: str = "form",
) -> Account:
    """Create an account by hand, with its company DOMAINS and optionally a first CONTACT.

    ACTOR needs the create-customers capability, and the assign capability to give it
    to another OWNER (by default ACTOR; the command line's SYSTEM puts it in the public
    pool). CONTACT is a mapping of name, email, phone and title. The duplicate check runs
    first (duplicates_guard); in warn mode CONFIRM_DUPLICATES creates it anyway. VIA
    ("form", "import", "cli") is recorded on the event and in the audit log.
    """
    require(actor, Capability.CREATE_CUSTOMERS)
    fields = _clean_fields(name, country, lifecycle, tier, source)
    clean_domains = _clean_domains(domains)
    person = _clean_contact(contact, fields["country"])
    owner = _owner_for(actor, owner)
    confirmed = duplicates_guard(
        actor,
        name=fields["name"],
        domains=clean_domains,
        emails=[person["email"]] if person and person["email"] else (),
        phones=[person["phone"]] if person and person["phone"] else (),
        country=fields["country"],
        confirm=confirm_duplicates,
    )
    now = timezone.now()
    account = Account.objects.create(
        **fields,
        name_key=company_key(fields["name"])[:255],
        owner=owner,
        team_id=owner.team_id if owner else None,
        assigned_at=now if owner else None,
        pooled_at=None if owner else now,
    )
    try:
        with transaction.atomic():
            AccountDomain.objects.bulk_create(
                [AccountDomain(account=account, domain=d) for d in clean_domains]
            )
    except IntegrityError:
        # Taken since the check, by a concurrent filing or creation.
        raise InvalidChange(
            gettext_noop("one of the domains %(domains)s belongs to another account"),
            domains=", ".join(clean_domains),
        ) from None
    if person:
        contact_add(
            actor=actor,
            account=account,
            name=person["name"],
            email=person["email"],
            title=person["title"],
            phone=person["phone"],
            confirm_duplicates=True,  # confirmed above, with the account's name and domains
        )
    actor_id = None if actor is SYSTEM else actor.pk
    event_emit(ACCOUNT_CREATED, account_id=account.pk, actor_id=actor_id, data={"via": via})
    audit(
        actor,
        AuditAction.CREATE,
        obj=account,
        data={
            "name": account.name,
            "domains": clean_domains,
            "owner": owner.username if owner else None,
            "via": via,
            "duplicates_confirmed": [m.account_id for m in confirmed],
        },
    )
    if not person:  # contact_add indexed the account with its contact
        search_index_accounts([account.pk])
    return account
