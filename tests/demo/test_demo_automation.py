"""The demo's automation: fresh inquiries to sales@ are routed by region, queued and clocked."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from keyou.automation.models import Rule
from keyou.automation.outbox import events_process
from keyou.automation.selectors import reply_queue
from keyou.automation.sla import working_time_for_team
from keyou.automation.timers import timers_sweep
from keyou.crm.models import Account, Task
from keyou.demo.setup import demo_build
from keyou.mail.models import Thread
from keyou.people.models import Notification


def test_demo_inquiries_are_routed_queued_and_escalated(db, tmp_path):
    result = demo_build(work_dir=tmp_path / "demo", messages=300, seed=5)
    assert result["fresh_inquiries"] == 3
    assert Rule.objects.filter(enabled=True).count() == 6
    events_process()
    teams = {
        "lichtwerk-gmbh.de": "Europe Sales",
        "brightpath-supply.com": None,  # .com says nothing; the +1 phone says US
        "guangyao-lighting.cn": "Asia Sales",
    }
    for domain, team in teams.items():
        account = Account.objects.get(domains__domain=domain)
        assert account.owner is not None, domain
        if team:
            assert account.owner.team.name == team
        thread = Thread.objects.get(account=account)
        assert thread.is_inquiry and thread.reply_due_at is not None
        rows = reply_queue(account.owner)
        assert thread.pk in {r.thread.pk for r in rows}
    us = Account.objects.get(domains__domain="brightpath-supply.com")
    assert us.owner.team.name == "Americas Sales"

    # Left unanswered: once 30 working minutes have passed, a task and a manager notice.
    thread = Thread.objects.get(account__domains__domain="lichtwerk-gmbh.de")
    hours = working_time_for_team(thread.account.team_id)
    with time_machine.travel(hours.add(thread.awaiting_since, 31), tick=False):
        timers_sweep()
        events_process()
    assert Task.objects.filter(thread=thread, assignee=thread.account.owner).exists()
    assert Notification.objects.filter(kind="rule", text__icontains="lichtwerk").exists()
    assert timezone.now() - thread.awaiting_since < timedelta(days=1)
