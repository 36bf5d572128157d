"""Internal comments: @mentions link and notify those who may see the record, and say who may not."""

from __future__ import annotations

import pytest

from keyou.crm.comments import comment_add, comments_for, mentioned_users
from keyou.crm.models import Activity, ActivityKind, Comment
from keyou.crm.selectors import NotFound
from keyou.crm.services import InvalidChange
from keyou.mail.models import Thread
from keyou.people.access import SYSTEM
from keyou.people.models import Notification
from keyou.people.services import user_add


def _names(users) -> list[str]:
    return [u.username for u in users]


def test_mentions_are_found_in_english_and_chinese_text(people):
    zhang = user_add(username="张伟", email="zhang@demo-trading.com", team="Asia")
    user_add(username="bob.smith", email="bs@demo-trading.com")

    text = (
        "@bob, please check. Ask @Carol。 cc @alice你好 and @张伟，谢谢; "
        "mail li.wei@globex.cn, not @nobody; @bob again; @bob.smith."
    )

    assert _names(mentioned_users(text)) == ["bob", "carol", "alice", zhang.username, "bob.smith"]
    assert mentioned_users("no mentions, write to anna@acme.co.uk") == []


def test_inactive_and_departed_users_are_not_mentioned(people):
    people.bob.is_active = False
    people.bob.save()
    assert mentioned_users("@bob @carol") == [people.carol]


def test_a_mention_notifies_those_who_see_the_customer_and_reports_the_others(people, crm):
    comment = comment_add(
        actor=people.alice, account=crm.acme, body="@bob @carol can one of you call Anna?"
    )

    assert set(comment.mentions.all()) == {people.bob, people.carol}
    assert comment.cannot_see == [people.carol]
    assert (comment.owner_id, comment.team_id) == (people.alice.pk, people.alice.team_id)
    (notice,) = Notification.objects.filter(kind="mention")
    assert notice.recipient == people.bob
    assert notice.dedupe_key == f"mention:{comment.pk}:{people.bob.pk}"
    assert "alice mentioned you on Acme Trading Ltd" in notice.text
    assert notice.url == f"/accounts/{crm.acme.pk}/#comment-{comment.pk}"
    entry = Activity.objects.get(account=crm.acme, kind=ActivityKind.COMMENT)
    assert entry.data["comment_id"] == comment.pk
    assert entry.data["mentions"] == ["bob", "carol"] and entry.data["cannot_see"] == ["carol"]
    assert entry.actor_id == people.alice.pk


def test_mentioning_oneself_notifies_nobody(people, crm):
    comment_add(actor=people.alice, account=crm.acme, body="note to self @alice")
    assert not Notification.objects.exists()


def test_an_outsider_cannot_comment_or_read_comments(people, crm):
    comment_add(actor=people.alice, account=crm.acme, body="internal")
    with pytest.raises(NotFound):
        comment_add(actor=people.carol, account=crm.acme, body="hello")
    with pytest.raises(NotFound):
        comments_for(people.carol, account=crm.acme)
    assert [c.body for c in comments_for(people.bob, account=crm.acme)] == ["internal"]
    assert Comment.objects.count() == 1


def test_a_comment_needs_text_and_exactly_one_record(people, crm):
    with pytest.raises(InvalidChange):
        comment_add(actor=people.alice, account=crm.acme, body="   ")
    with pytest.raises(ValueError):
        comment_add(actor=people.alice, body="where?")


def test_a_thread_comment_goes_on_the_threads_account(people, crm, acme_mail):
    thread = Thread.objects.get(subject="Samples for the spring fair")
    thread.account = crm.acme
    thread.save()

    comment = comment_add(actor=people.alice, thread=thread, body="@bob send samples; @carol FYI")

    assert comment.thread_id == thread.pk and comment.account_id is None
    assert comment.cannot_see == [people.carol]
    assert Notification.objects.get(kind="mention").recipient == people.bob
    assert Notification.objects.get(kind="mention").url.startswith(f"/threads/{thread.pk}/")
    entry = Activity.objects.get(kind=ActivityKind.COMMENT)
    assert (entry.account_id, entry.thread_id) == (crm.acme.pk, thread.pk)
    assert [c.pk for c in comments_for(people.bob, thread=thread)] == [comment.pk]
    with pytest.raises(NotFound):
        comments_for(people.carol, thread=thread)


def test_on_a_private_thread_only_participants_are_notified(people, crm, acme_mail):
    thread = Thread.objects.get(subject="Samples for the spring fair")
    thread.is_private = True
    thread.save()

    comment = comment_add(actor=people.alice, thread=thread, body="@bob @admin look")

    # bob sees acme but took no part in the private thread; admins see everything.
    assert comment.cannot_see == [people.bob]
    assert [n.recipient for n in Notification.objects.filter(kind="mention")] == [people.admin]


def test_the_system_may_comment_and_redelivery_never_doubles_a_mention(people, crm):
    from keyou.people.services import notify_once

    comment = comment_add(actor=SYSTEM, account=crm.acme, body="@alice a rule noticed this")
    assert Notification.objects.filter(recipient=people.alice, kind="mention").count() == 1
    again = notify_once(
        people.alice, "again", dedupe_key=f"mention:{comment.pk}:{people.alice.pk}", kind="mention"
    )
    assert again is None
    assert Notification.objects.filter(recipient=people.alice).count() == 1
