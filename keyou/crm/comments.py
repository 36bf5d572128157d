"""Internal comments (内部评论) on accounts and threads, with @mentions that notify.

A comment is for colleagues, never for the customer. Mentioning `@username`
links that person; they are notified when they may see the record commented on,
and the author is told who could not (so nobody believes a colleague was told
about a customer they cannot open).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_noop

from keyou.crm.activities import comment_activity
from keyou.crm.models import Account, Comment
from keyou.crm.selectors import NotFound, account_get_for
from keyou.crm.services import InvalidChange
from keyou.mail.models import Thread
from keyou.mail.selectors import thread_get_for
from keyou.people.access import SYSTEM, Actor
from keyou.people.directory import users_active
from keyou.people.models import User
from keyou.people.services import notify_once

BODY_MAX = 10_000
MENTIONS_MAX = 20
# An @ that starts a mention: not inside a word or an email address (li.wei@globex.cn).
MENTION = re.compile(r"(?<![\w.@+-])@([\w.@+-]{1,150})")
# Characters a name may end on only when they are part of it: "@bob." ends a sentence.
_TRAILING = ".@+-"


@dataclass
class Mentions:
    """Who a comment mentions: the users found, and those of them who cannot see the record."""

    users: list[User] = field(default_factory=list)
    cannot_see: list[User] = field(default_factory=list)


def _cuts(token: str) -> list[str]:
    """Return the names TOKEN may stand for, longest first.

    The whole token; then the token cut before trailing punctuation (".@+-") or where
    the script changes (`@alice你好`, `@张三abc`), since writers run text into a name.
    """
    out = [token]
    for i in range(len(token) - 1, 0, -1):
        here, before = token[i], token[i - 1]
        if here in _TRAILING or here.isascii() != before.isascii():
            candidate = token[:i].rstrip(_TRAILING)
            if candidate and candidate not in out:
                out.append(candidate)
    return out


def mentioned_users(body: str) -> list[User]:
    """Return the active users @mentioned in BODY, in order of first mention, each once.

    Names match case-insensitively (an exact-case username wins a tie); a mention
    of nobody is ignored.
    """
    tokens = [m.group(1) for m in MENTION.finditer(body or "")][: MENTIONS_MAX * 3]
    if not tokens:
        return []
    wanted = {cut.casefold() for token in tokens for cut in _cuts(token)}
    by_name: dict[str, User] = {}
    rows = users_active().annotate(lname=Lower("username")).filter(lname__in=wanted).order_by("pk")
    for user in rows:
        key = user.username.casefold()
        if key not in by_name or user.username == key:
            by_name[key] = user
    out: list[User] = []
    for token in tokens:
        for cut in _cuts(token):
            user = by_name.get(cut.casefold())
            if user is not None:
                if user not in out:
                    out.append(user)
                break
    return out[:MENTIONS_MAX]


def _may_see(user: User, *, account: Account | None, thread: Thread | None) -> bool:
    """Return True when USER may open the record, asked through the selectors as USER."""
    try:
        if account is not None:
            account_get_for(user, account.pk)
        else:
            thread_get_for(user, thread.pk)
    except NotFound:
        return False
    return True


def _actor_id(actor: Actor) -> int | None:
    return None if actor is SYSTEM else actor.pk


@transaction.atomic
def comment_add(
    *, actor: Actor, body: str, account: Account | None = None, thread: Thread | None = None
) -> Comment:
    """Add an internal comment on ACCOUNT or THREAD (exactly one) and notify whom it mentions.

    ACTOR must see the record. Mentioned users are linked; those who may see the
    record are notified (once), the others are listed in the returned comment's
    `cannot_see` (and on its timeline entry) and not notified. The comment is
    written on the account's timeline (a thread's: the thread's account, if any).
    """
    if (account is None) == (thread is None):
        raise ValueError("comment on an account or a thread, not both")
    body = (body or "").strip()
    if not body:
        raise InvalidChange(gettext_noop("a comment cannot be empty"))
    if len(body) > BODY_MAX:
        raise InvalidChange(gettext_noop("a comment can hold at most 10,000 characters"))
    if account is not None:
        account = account_get_for(actor, account.pk)
        timeline_account = account
        url = reverse("account_detail", args=[account.pk])
        where = account.name
    else:
        thread = thread_get_for(actor, thread.pk)
        timeline_account = thread.account
        url = reverse("thread_detail", args=[thread.pk])
        where = thread.subject or f"#{thread.pk}"
    comment = Comment.objects.create(
        account=account,
        thread=thread,
        author_id=_actor_id(actor),
        body=body,
        owner_id=timeline_account.owner_id if timeline_account else None,
        team_id=timeline_account.team_id if timeline_account else None,
    )
    users = mentioned_users(body)
    comment.mentions.add(*users)
    cannot_see: list[User] = []
    author = actor.get_username() if actor is not SYSTEM else "Keyou"
    for user in users:
        if user.pk == _actor_id(actor):
            continue
        if not _may_see(user, account=account, thread=thread):
            cannot_see.append(user)
            continue
        notify_once(
            user,
            gettext_noop("%(author)s mentioned you on %(where)s: %(excerpt)s"),
            {"author": author, "where": where, "excerpt": body[:200]},
            dedupe_key=f"mention:{comment.pk}:{user.pk}",
            kind="mention",
            url=f"{url}#comment-{comment.pk}",
        )
    if timeline_account is not None:
        comment_activity(
            comment=comment,
            account_id=timeline_account.pk,
            mentions=[u.get_username() for u in users],
            cannot_see=[u.get_username() for u in cannot_see],
        ).save()
    comment.mentioned = users
    comment.cannot_see = cannot_see
    return comment


def comments_for(
    actor: Actor, *, account: Account | int | None = None, thread: Thread | int | None = None
) -> QuerySet[Comment]:
    """Return the comments on ACCOUNT or THREAD (exactly one), oldest first.

    Raise NotFound when ACTOR may not see the record.
    """
    if (account is None) == (thread is None):
        raise ValueError("comments of an account or a thread, not both")
    rows = Comment.objects.select_related("author").prefetch_related("mentions")
    if account is not None:
        found = account_get_for(actor, getattr(account, "pk", account))
        return rows.filter(account=found).order_by("created_at", "id")
    found_thread = thread_get_for(actor, getattr(thread, "pk", thread))
    return rows.filter(thread=found_thread).order_by("created_at", "id")
