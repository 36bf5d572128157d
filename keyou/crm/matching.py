"""Match an external email address to a contact and account, creating them when new.

Rules (DESIGN.md, "the flow of one email", step 5):
exact case-folded address → Contact → Account; otherwise a company domain → the
Account owning that registrable domain (a new Contact is created under it);
free-mail domains never match by domain; an unknown company domain makes a new
prospect Account; an unknown free-mail sender makes a person-Account.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from keyou.crm.company_names import company_key
from keyou.crm.models import Account, AccountDomain, Contact, ContactEmail, Lifecycle
from keyou.mail.domains import email_domain, is_free_mail, registrable_domain

_UNKNOWN = object()


@dataclass(frozen=True, slots=True)
class Match:
    contact_id: int
    account_id: int


@dataclass
class Matcher:
    """Resolves addresses for one batch, caching what it has looked up or created."""

    contacts_created: int = 0
    accounts_created: int = 0
    new_account_ids: list[int] = field(default_factory=list)
    new_contact_ids: list[int] = field(default_factory=list)
    _by_email: dict[str, Match | None] = field(default_factory=dict)
    _by_domain: dict[str, int] = field(default_factory=dict)
    _owner_team: dict[int, tuple[int | None, int | None]] = field(default_factory=dict)

    def prefetch(self, emails: Iterable[str]) -> None:
        """Load the contacts and domain owners for EMAILS in two queries."""
        wanted = {e for e in emails if e and e not in self._by_email}
        if not wanted:
            return
        for email in wanted:
            self._by_email[email] = None  # known absent until created
        for email, contact_id, account_id in ContactEmail.objects.filter(
            email__in=wanted
        ).values_list("email", "contact_id", "contact__account_id"):
            self._by_email[email] = Match(contact_id, account_id)
        domains = {registrable_domain(email_domain(e)) for e in wanted} - {""}
        domains -= set(self._by_domain)
        if domains:
            self._by_domain.update(
                AccountDomain.objects.filter(domain__in=domains).values_list("domain", "account_id")
            )

    def account_owner_team(self, account_id: int) -> tuple[int | None, int | None]:
        """Return (owner_id, team_id) of the account, cached."""
        if account_id not in self._owner_team:
            row = Account.objects.filter(pk=account_id).values_list("owner_id", "team_id").first()
            self._owner_team[account_id] = row or (None, None)
        return self._owner_team[account_id]

    def resolve(
        self,
        email: str,
        name: str = "",
        *,
        create: bool = True,
        owner_id: int | None = None,
        team_id: int | None = None,
    ) -> Match | None:
        """Return the contact and account for the external address EMAIL.

        With CREATE, unknown addresses get a contact (and an account when no
        account owns their company domain), owned by OWNER_ID and TEAM_ID.
        """
        if not email:
            return None
        cached = self._by_email.get(email, _UNKNOWN)
        if isinstance(cached, Match):
            return cached
        hit = ContactEmail.objects.filter(email=email).values_list(
            "contact_id", "contact__account_id"
        )
        if cached is _UNKNOWN and (row := hit.first()):
            match = Match(*row)
            self._by_email[email] = match
            return match
        if not create:
            return None
        domain = email_domain(email)
        company = "" if is_free_mail(domain) else registrable_domain(domain)
        try:
            with transaction.atomic():
                match = self._create(email, name, company, owner_id, team_id)
        except IntegrityError:
            # Another worker filed the same address a moment ago: use theirs.
            row = hit.first()
            if row is None:
                raise
            match = Match(*row)
        self._by_email[email] = match
        return match

    def _create(
        self, email: str, name: str, company: str, owner_id: int | None, team_id: int | None
    ) -> Match:
        account_id = self._by_domain.get(company) if company else None
        if company and account_id is None:
            account_id = (
                AccountDomain.objects.filter(domain=company).values_list("account_id", flat=True)
            ).first()
        if account_id is None:
            account_name = company or name or email.split("@")[0]
            account = Account.objects.create(
                name=account_name,
                name_key=company_key(account_name)[:255],
                is_person=not company,
                lifecycle=Lifecycle.PROSPECT,
                source="email",
                owner_id=owner_id,
                team_id=team_id,
            )
            account_id = account.pk
            self._owner_team[account_id] = (owner_id, team_id)
            if company:
                AccountDomain.objects.create(account=account, domain=company)
                self._by_domain[company] = account_id
            self.accounts_created += 1
            self.new_account_ids.append(account_id)
        acc_owner, acc_team = self.account_owner_team(account_id)
        contact = Contact.objects.create(
            account_id=account_id, name=name[:255], owner_id=acc_owner, team_id=acc_team
        )
        ContactEmail.objects.create(contact=contact, email=email, is_primary=True)
        self.contacts_created += 1
        self.new_contact_ids.append(contact.pk)
        if account_id not in self.new_account_ids:
            self.new_account_ids.append(account_id)  # its index lists contact addresses
        return Match(contact.pk, account_id)
