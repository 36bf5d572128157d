"""Leads (线索): inquiries worth pursuing, read through the account scope, and their status.

Rules create leads (`keyou.automation`); people read them here and move them
between new, qualified, disqualified and converted.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from keyou.crm.activities import lead_status_activity
from keyou.crm.models import Account, Lead, LeadStatus
from keyou.crm.selectors import NotFound, account_get_for
from keyou.crm.services import InvalidChange
from keyou.mail.selectors import private_thread_q
from keyou.people.access import SYSTEM, Actor, scope_q


def leads_visible_to(actor: Actor) -> QuerySet[Lead]:
    """Return the leads on accounts ACTOR may see (not those of private threads outside them)."""
    return Lead.objects.filter(scope_q(actor, prefix="account__")).filter(private_thread_q(actor))


def leads_list(actor: Actor, *, status: str = "") -> QuerySet[Lead]:
    """Return ACTOR's leads, newest first, narrowed to STATUS when it is one."""
    qs = leads_visible_to(actor).select_related("account", "contact", "thread", "source_rule")
    if status in LeadStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def account_leads(actor: Actor, account: Account) -> list[Lead]:
    """Return the leads of ACCOUNT (which ACTOR already may see), newest first."""
    return list(leads_list(actor).filter(account=account))


def lead_get_for(actor: Actor, lead_id: int) -> Lead:
    """Return lead LEAD_ID if ACTOR may see it, else raise NotFound."""
    lead = leads_list(actor).filter(pk=lead_id).first()
    if lead is None:
        raise NotFound(f"lead {lead_id!r} not found")
    return lead


@transaction.atomic
def lead_set_status(*, actor: Actor, lead: Lead, status: str) -> Lead:
    """Move LEAD to STATUS and note it on the account's timeline (the same status: no change).

    ACTOR must be allowed to change the lead's account (NotAllowed when they may only
    see it, NotFound when not even that).
    """
    if status not in LeadStatus.values:
        raise InvalidChange(
            gettext_noop("status must be one of %(choices)s"), choices=", ".join(LeadStatus.values)
        )
    account_get_for(actor, lead.account_id, write=True)  # NotAllowed when read-only
    old = lead.status
    changed = Lead.objects.filter(pk=lead.pk).exclude(status=status).update(status=status)
    lead.status = status
    if changed:
        lead_status_activity(
            lead=lead,
            actor_id=None if actor is SYSTEM else actor.pk,
            occurred_at=timezone.now(),
            old_status=old,
        ).save()
    return lead
