"""What a rule's actions do, and how a dry run describes them without doing anything.

Each action gets a key unique to (rule, event, subject, action): tasks, leads,
notices and webhook calls carry it, so an action applied twice leaves one result.
Actions run inside the rule's transaction; a failure undoes the whole firing,
which is retried later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyou.automation.catalog import duration_minutes
from keyou.automation.engine import fill
from keyou.automation.models import Rule, WebhookDelivery
from keyou.automation.recipients import person_resolve
from keyou.automation.snapshot import Subjects
from keyou.crm.models import Account, Lead, TaskKind
from keyou.mail.models import Thread
from keyou.people.access import SYSTEM
from keyou.people.models import User
from keyou.people.services import notice_once


class ActionSkipped(Exception):
    """The action has nothing to act on (no customer, nobody to notify): not a failure."""


@dataclass
class ActionContext:
    rule: Rule
    key: str  # unique to (rule, event, subject); the action index is appended
    found: Subjects
    snapshot: Mapping[str, Any]
    why: tuple[str, ...]
    now: datetime


def _who(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _url(found: Subjects) -> str:
    if found.thread is not None:
        return f"/threads/{found.thread.pk}/"
    if found.account is not None:
        return f"/accounts/{found.account.pk}/"
    return ""


def _account(ctx: ActionContext) -> Account:
    if ctx.found.account is None:
        raise ActionSkipped(_("no customer to act on"))
    return ctx.found.account


def _person(spec: str, ctx: ActionContext, *, preview: bool = False) -> User:
    user = person_resolve(spec, ctx.found, preview=preview)
    if user is None:
        raise ActionSkipped(_("nobody is %(who)s") % {"who": spec})
    return user


def _due(ctx: ActionContext, value: Any) -> datetime:
    from keyou.automation.clock import thread_team_id
    from keyou.automation.sla import working_time_for_team

    minutes = duration_minutes(value or "0m")
    if ctx.found.thread is not None:
        team_id = thread_team_id(ctx.found.thread)
    else:
        team_id = ctx.found.account.team_id if ctx.found.account else None
    return working_time_for_team(team_id).add(ctx.now, minutes)


# --- the actions -----------------------------------------------------------------------


def _create_task(action: Mapping[str, Any], ctx: ActionContext, key: str) -> str:
    from keyou.crm.todos import task_create

    assignee = _person(action["assignee"], ctx)
    title = fill(action["title"], ctx.snapshot)
    task = task_create(
        actor=SYSTEM,
        title=title,
        assignee=assignee,
        due_at=_due(ctx, action.get("due")),
        account=ctx.found.account,
        thread=ctx.found.thread,
        kind=action.get("kind") or TaskKind.FOLLOW_UP,
        notes=fill(action.get("notes", ""), ctx.snapshot),
        source_rule=ctx.rule,
        source_key=key,
        timeline=False,
    )
    return _("created task “%(title)s” for %(who)s, due %(due)s") % {
        "title": task.title,
        "who": _who(assignee),
        "due": timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M") if task.due_at else "-",
    }


def _assign_owner(action: Mapping[str, Any], ctx: ActionContext, key: str) -> str:
    from keyou.automation.routing import assignee_pick, inquiry_assign, inquiry_route
    from keyou.crm.services import accounts_assign
    from keyou.people.models import Team

    account = _account(ctx)
    strategy = action["strategy"]
    if strategy == "routing":
        message = ctx.found.message
        if ctx.found.mailbox is None or message is None:
            raise ActionSkipped(_("routing needs an email to a shared mailbox"))
        route = inquiry_route(
            mailbox=ctx.found.mailbox,
            account=account,
            subject=message.subject,
            text=ctx.snapshot.get("message.text") or "",
            sender=message.from_email,
            full_text=message.text_body,
        )
        if route is None or route.user is None:
            raise ActionSkipped(_("no routing rule gives this customer to anyone"))
        inquiry_assign(route=route, account=account, thread=ctx.found.thread, message_id=message.pk)
        return _("assigned to %(who)s by routing") % {"who": _who(route.user)}
    if strategy == "fixed":
        user = person_resolve(f"user:{action.get('user', '')}", ctx.found)
    else:
        team = Team.objects.filter(name__iexact=str(action.get("team", "")).strip()).first()
        if team is None:
            raise ActionSkipped(_("no team named %(team)s") % {"team": action.get("team", "")})
        user = assignee_pick(team=team, strategy=strategy)
    if user is None:
        raise ActionSkipped(_("nobody to assign"))
    if account.owner_id != user.pk:
        accounts_assign(actor=SYSTEM, account=account, owner=user)
        account.refresh_from_db()
    return _("assigned to %(who)s") % {"who": _who(user)}


def _notify(action: Mapping[str, Any], ctx: ActionContext, key: str) -> str:
    user = _person(action["to"], ctx)
    text = fill(action["text"], ctx.snapshot)
    notice_once(user, text, dedupe_key=f"{key}:{user.pk}", kind="rule", url=_url(ctx.found))
    return _("notified %(who)s") % {"who": _who(user)}


def _add_tag(action: Mapping[str, Any], ctx: ActionContext, key: str) -> str:
    from keyou.crm.services import account_tag_add

    tag = account_tag_add(actor=SYSTEM, account=_account(ctx), name=action["tag"])
    return _("added tag %(tag)s") % {"tag": tag.name}


def _remove_tag(action: Mapping[str, Any], ctx: ActionContext, key: str) -> str:
    from keyou.crm.services import account_tag_remove

    account_tag_remove(actor=SYSTEM, account=_account(ctx), name=action["tag"])
    return _("removed tag %(tag)s") % {"tag": action["tag"]}


def _set_field(action: Mapping[str, Any], ctx: ActionContext, key: str) -> str:
    from keyou.crm.services import account_update

    account = _account(ctx)
    field, value = action["field"], str(action["value"]).strip()
    account_update(actor=SYSTEM, account=account, **{field: value})
    return _("set %(field)s to %(value)s") % {"field": field, "value": value}


def _create_lead(action: Mapping[str, Any], ctx: ActionContext, key: str) -> str:
    from keyou.automation.clock import thread_sla_refresh

    account = _account(ctx)
    message, thread = ctx.found.message, ctx.found.thread
    title = fill(action.get("title") or "", ctx.snapshot).strip()
    title = title or (message.subject if message else "") or account.name
    lead = Lead.objects.filter(source_key=key).first()
    if lead is None:
        lead = Lead.objects.create(
            title=title[:300],
            account=account,
            contact=ctx.found.contact if ctx.found.contact else None,
            thread=thread,
            message=message,
            source=(action.get("source") or "email")[:80],
            source_rule=ctx.rule,
            source_key=key,
            owner_id=account.owner_id,
            team_id=account.team_id,
        )
    if thread is not None and not thread.is_inquiry:
        thread.is_inquiry = True
        Thread.objects.filter(pk=thread.pk).update(is_inquiry=True)
        thread_sla_refresh(thread)
    return _("created lead “%(title)s”") % {"title": lead.title}


def _send_template(action: Mapping[str, Any], ctx: ActionContext, key: str) -> str:
    # Sending mail from rules arrives with campaigns; until then the owner gets a
    # task holding the filled-in text, to send it themselves.
    from keyou.crm.todos import task_create

    owner = _person("owner", ctx)
    subject = fill(action["subject"], ctx.snapshot)
    task_create(
        actor=SYSTEM,
        title=_("Send: %(subject)s") % {"subject": subject},
        assignee=owner,
        due_at=_due(ctx, "0m"),
        account=ctx.found.account,
        kind=TaskKind.GREETING,
        notes=fill(action["body"], ctx.snapshot),
        source_rule=ctx.rule,
        source_key=key,
        timeline=False,
    )
    return _("asked %(who)s to send “%(subject)s”") % {"who": _who(owner), "subject": subject}


def _return_to_pool(action: Mapping[str, Any], ctx: ActionContext, key: str) -> str:
    from keyou.pool.services import account_release

    account = _account(ctx)
    if account.owner_id is None:
        return _("already in the public pool")
    # Through the pool's service, so the ledger, cooldown and timeline see it.
    account_release(actor=SYSTEM, account=account, reason=ctx.rule.name, now=ctx.now)
    return _("returned to the public pool")


def _webhook(action: Mapping[str, Any], ctx: ActionContext, key: str) -> str:
    from keyou.automation.tasks import webhook_deliver

    found = ctx.found
    payload = {
        "rule": {"id": ctx.rule.pk, "name": ctx.rule.name},
        "why": list(ctx.why),
        "at": ctx.now.isoformat(),
        "account": {"id": found.account.pk, "name": found.account.name} if found.account else None,
        "thread": {"id": found.thread.pk, "subject": found.thread.subject}
        if found.thread
        else None,
        "message": {"id": found.message.pk, "from": found.message.from_email}
        if found.message
        else None,
    }
    delivery, created = WebhookDelivery.objects.get_or_create(
        key=key, defaults={"url": action["url"], "payload": payload}
    )
    if created:
        transaction.on_commit(lambda: webhook_deliver(delivery.pk))
    return _("called the webhook")


def _create_deal(action: Mapping[str, Any], ctx: ActionContext, key: str) -> str:
    from keyou.automation.deal_actions import create_deal

    return create_deal(action, ctx, key)


def _move_stage(action: Mapping[str, Any], ctx: ActionContext, key: str) -> str:
    from keyou.automation.deal_actions import move_stage

    return move_stage(action, ctx, key)


APPLY = {
    "create_task": _create_task,
    "assign_owner": _assign_owner,
    "notify": _notify,
    "add_tag": _add_tag,
    "remove_tag": _remove_tag,
    "set_field": _set_field,
    "create_lead": _create_lead,
    "create_deal": _create_deal,
    "move_stage": _move_stage,
    "send_template": _send_template,
    "return_to_pool": _return_to_pool,
    "webhook": _webhook,
}


def action_apply(action: Mapping[str, Any], ctx: ActionContext, index: int) -> str:
    """Do ACTION for CTX and return one line saying what was done (or why not)."""
    try:
        return APPLY[action["type"]](action, ctx, f"{ctx.key}:a{index}")
    except ActionSkipped as skipped:
        return _("skipped: %(why)s") % {"why": skipped}


def action_describe(action: Mapping[str, Any], ctx: ActionContext) -> str:
    """Return what ACTION would do for CTX, without doing anything."""
    kind = action.get("type")
    try:
        if kind == "create_task":
            who = _person(action["assignee"], ctx, preview=True)
            return _("would create task “%(title)s” for %(who)s") % {
                "title": fill(action["title"], ctx.snapshot),
                "who": _who(who),
            }
        if kind == "notify":
            who = _person(action["to"], ctx, preview=True)
            return _("would notify %(who)s: %(text)s") % {
                "who": _who(who),
                "text": fill(action["text"], ctx.snapshot)[:200],
            }
        if kind == "send_template":
            who = _person("owner", ctx, preview=True)
            return _("would ask %(who)s to send “%(subject)s”") % {
                "who": _who(who),
                "subject": fill(action["subject"], ctx.snapshot),
            }
        if kind in (
            "add_tag",
            "remove_tag",
            "set_field",
            "return_to_pool",
            "create_lead",
            "create_deal",
        ):
            _account(ctx)
        if kind == "move_stage" and ctx.found.deal is None:
            raise ActionSkipped(_("no deal to act on"))
        labels = {
            "assign_owner": _("would assign an owner (%(detail)s)"),
            "add_tag": _("would add tag %(detail)s"),
            "remove_tag": _("would remove tag %(detail)s"),
            "set_field": _("would set %(detail)s"),
            "create_lead": _("would create a lead"),
            "create_deal": _("would create a deal"),
            "move_stage": _("would move the deal to %(detail)s"),
            "return_to_pool": _("would return the customer to the public pool"),
            "webhook": _("would call %(detail)s"),
        }
        detail = {
            "assign_owner": action.get("strategy", ""),
            "add_tag": action.get("tag", ""),
            "remove_tag": action.get("tag", ""),
            "set_field": f"{action.get('field')} = {action.get('value')}",
            "move_stage": action.get("stage", ""),
            "webhook": str(action.get("url", "")).split("?")[0],
        }.get(kind, "")
        return labels[kind] % {"detail": detail}
    except ActionSkipped as skipped:
        return _("would skip: %(why)s") % {"why": skipped}
