"""The duplicate check (查重): keys that identify a company, and the query that finds them.

Four keys say two accounts may be one customer: the folded company name
(`company_key`, stored as Account.name_key), a company domain (AccountDomain, unique),
a contact's email address (ContactEmail, unique) and a contact's phone number in E.164
(stored as Contact.phone_keys, " +8675512345678 +4930… ", so a `contains` of
" +8675512345678 " matches a whole number only).

Free-mail domains (qq.com, 163.com, gmail.com …) never identify a company, as in mail
filing (keyou.crm.matching). A phone number written without a country code is read in
the account's country, else in China (DEFAULT_PHONE_REGION): Keyou's users are Chinese
sales teams, and a bare "0755-12345678" on their forms is a Chinese number.

`duplicates_find` tells, per existing account, why it matches and whether the actor may
see it; only what the actor may see is named. The name, domain and email lookups use
indexes; the phone lookup is a LIKE over contacts' phone_keys, a scan that stays in the
milliseconds at the tens of thousands of contacts one company holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from keyou.crm.company_names import company_key
from keyou.crm.models import Account, AccountDomain, Contact, ContactEmail
from keyou.crm.phones import normalize_phone
from keyou.crm.selectors import accounts_visible_to
from keyou.mail.domains import email_domain, is_free_mail, registrable_domain
from keyou.mail.parse import normalize_email
from keyou.people.access import Actor

__all__ = [
    "DEFAULT_PHONE_REGION",
    "DuplicateMatch",
    "Reason",
    "company_domain",
    "company_key",
    "duplicate_keys_backfill",
    "duplicates_find",
    "phone_keys",
]

DEFAULT_PHONE_REGION = "CN"
# More than this many matches is a key too common to be useful; show the first ones.
MATCH_LIMIT = 20


class Reason(models.TextChoices):
    """Why an account matches; the order here is the order shown."""

    NAME = "name", _("same name")
    DOMAIN = "domain", _("same domain")
    EMAIL = "email", _("same email address")
    PHONE = "phone", _("same phone number")


def company_domain(text: str) -> str:
    """Return the registrable company domain in TEXT (a domain, a URL or an email address).

    Return "" when there is none, or when it is a free-mail domain.
    """
    text = (text or "").strip().casefold()
    if "@" in text:
        text = email_domain(text)
    for prefix in ("https://", "http://"):
        text = text.removeprefix(prefix)
    host = text.split("/", 1)[0].split(":", 1)[0]
    domain = registrable_domain(host) if host else ""
    return "" if not domain or is_free_mail(domain) else domain


def phone_keys(phones: Iterable[str]) -> str:
    """Return E.164 PHONES as Contact.phone_keys: " +86… +49… ", or "" for none."""
    numbers = sorted({p for p in phones if p})
    return f" {' '.join(numbers)} " if numbers else ""


@dataclass
class DuplicateMatch:
    """An existing account that may be the customer being created, and why.

    NAME and the link are only for an account the actor may see (VISIBLE); otherwise
    the match says who owns it, so the actor can ask them or request access.
    """

    account_id: int
    reasons: tuple[str, ...]
    visible: bool
    name: str = ""
    owner_name: str = ""
    team_name: str = ""
    owner_id: int | None = None
    # The values the actor typed that matched (safe: the actor knows them already).
    matched: dict[str, list[str]] = field(default_factory=dict)

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None

    def reason_labels(self) -> list[str]:
        """Return the reasons in the active language."""
        return [str(Reason(r).label) for r in self.reasons]

    def describe(self) -> str:
        """Return one line about the match in the active language, revealing nothing unseen."""
        why = ", ".join(self.reason_labels())
        if self.visible:
            if self.in_pool:
                text = gettext("“%(name)s” (#%(id)d), in the public pool") % {
                    "name": self.name,
                    "id": self.account_id,
                }
            else:
                text = gettext("“%(name)s” (#%(id)d), owned by %(owner)s") % {
                    "name": self.name,
                    "id": self.account_id,
                    "owner": self.owner_name,
                }
        elif self.in_pool:
            text = gettext("an account in the public pool")
        elif self.team_name:
            text = gettext("an account owned by %(owner)s (team %(team)s)") % {
                "owner": self.owner_name,
                "team": self.team_name,
            }
        else:
            text = gettext("an account owned by %(owner)s") % {"owner": self.owner_name}
        return f"{text}: {why}"


def _person_name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def duplicates_find(
    actor: Actor,
    *,
    name: str = "",
    domains: Iterable[str] = (),
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    country: str = "",
    exclude_account: Account | int | None = None,
    email_domains: bool = True,
) -> list[DuplicateMatch]:
    """Return the existing accounts that may be the customer described, most reasons first.

    NAME is compared by `company_key` (person accounts named after a free-mail sender are
    left out); DOMAINS (domains, URLs or addresses) and, with EMAIL_DOMAINS, the company
    domains of EMAILS by registrable domain; EMAILS exactly; PHONES (as typed, read in COUNTRY or China) by
    E.164. The matches the actor may not see carry only their owner and team.
    """
    found: dict[int, dict[str, set[str]]] = {}

    def add(account_id: int, reason: str, value: str) -> None:
        found.setdefault(account_id, {}).setdefault(reason, set()).add(value)

    key = company_key(name) if name and name.strip() else ""
    if key:
        hits = Account.objects.filter(name_key=key, is_person=False).values_list("pk", flat=True)
        for pk in hits[:MATCH_LIMIT]:
            add(pk, Reason.NAME, name.strip())
    addresses = {normalize_email(e) for e in emails if e} - {""}
    typed = (*domains, *addresses) if email_domains else tuple(domains)
    wanted_domains = {company_domain(d) for d in typed if d} - {""}
    if wanted_domains:
        for domain, pk in AccountDomain.objects.filter(domain__in=wanted_domains).values_list(
            "domain", "account_id"
        ):
            add(pk, Reason.DOMAIN, domain)
    if addresses:
        for address, pk in ContactEmail.objects.filter(email__in=addresses).values_list(
            "email", "contact__account_id"
        )[:MATCH_LIMIT]:
            add(pk, Reason.EMAIL, address)
    region = (country or "").strip().upper() or DEFAULT_PHONE_REGION
    numbers = {normalize_phone(p, region) for p in phones if p} - {""}
    if numbers:
        query = Q()
        for number in numbers:
            query |= Q(phone_keys__contains=f" {number} ")
        for keys, pk in Contact.objects.filter(query).values_list("phone_keys", "account_id")[
            :MATCH_LIMIT
        ]:
            for number in numbers & set(keys.split()):
                add(pk, Reason.PHONE, number)
    excluded = exclude_account.pk if isinstance(exclude_account, Account) else exclude_account
    found.pop(excluded, None)
    if not found:
        return []
    visible = set(
        accounts_visible_to(actor).filter(pk__in=list(found)).values_list("pk", flat=True)
    )
    accounts = Account.objects.filter(pk__in=list(found)).select_related("owner", "team")
    matches = [
        DuplicateMatch(
            account_id=account.pk,
            reasons=tuple(r.value for r in Reason if r in found[account.pk]),
            visible=account.pk in visible,
            name=account.name if account.pk in visible else "",
            owner_name=_person_name(account.owner),
            team_name=account.team.name if account.team_id and account.owner_id else "",
            owner_id=account.owner_id,
            matched={r: sorted(v) for r, v in found[account.pk].items()},
        )
        for account in accounts
    ]
    matches.sort(key=lambda m: (-len(m.reasons), not m.visible, m.account_id))
    return matches[:MATCH_LIMIT]


def duplicate_keys_backfill(
    account_model: type[Account] = Account,
    contact_model: type[Contact] = Contact,
    *,
    batch_size: int = 1000,
) -> tuple[int, int]:
    """Recompute every Account.name_key and Contact.phone_keys, in batches by id.

    Take the models as arguments so a migration can pass its historical ones. Return
    how many accounts and contacts changed.
    """
    accounts = contacts = 0
    last = 0
    while True:
        batch = list(
            account_model.objects.filter(pk__gt=last)
            .order_by("pk")
            .only("pk", "name", "name_key")[:batch_size]
        )
        if not batch:
            break
        last = batch[-1].pk
        stale = []
        for account in batch:
            key = company_key(account.name)[:255]
            if account.name_key != key:
                account.name_key = key
                stale.append(account)
        account_model.objects.bulk_update(stale, ["name_key"])
        accounts += len(stale)
    last = 0
    while True:
        batch = list(
            contact_model.objects.filter(pk__gt=last)
            .order_by("pk")
            .only("pk", "phones", "phone_keys")[:batch_size]
        )
        if not batch:
            break
        last = batch[-1].pk
        stale = []
        for contact in batch:
            keys = phone_keys(p for p in contact.phones or [] if isinstance(p, str))[:500]
            if contact.phone_keys != keys:
                contact.phone_keys = keys
                stale.append(contact)
        contact_model.objects.bulk_update(stale, ["phone_keys"])
        contacts += len(stale)
    return accounts, contacts
