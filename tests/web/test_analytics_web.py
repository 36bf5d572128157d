# ruff: noqa: F811  (the `world` fixture is imported from tests/analytics/conftest.py)
"""The analytics pages through HTTP: dashboard, drill-down, exports, my day, the health panel.

On the hand-built company of tests/analytics/conftest.py (period 28 Sep - 25 Oct
2026, now Mon 26 Oct 10:00 Shanghai): alice and bob sell in Europe (lena leads
it), carol sells in Asia, admin sees all.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from keyou.analytics.drill import drill_rows
from keyou.analytics.health import AT_RISK, GOOD, WATCH, account_health
from keyou.analytics.metrics_mail import email_volume
from keyou.analytics.metrics_response import response_times
from keyou.analytics.my_day import first_thing, my_day
from keyou.audit.models import AuditAction, AuditEntry, Export
from keyou.crm.models import Task, TaskStatus
from keyou.deals.models import Deal
from keyou.people.models import Capability, Role
from keyou.pool.models import MoveKind, PoolMove
from tests.analytics.conftest import NOW, PERIOD, period, sh, world  # noqa: F401

QUERY = {"start": PERIOD[0].isoformat(), "end": PERIOD[1].isoformat()}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def get(user, url: str, **params):
    with time_machine.travel(NOW, tick=False):
        client = client_for(user)
        return client.get(url, {**QUERY, **params})


def dashboard(user, **params):
    return get(user, reverse("analytics_dashboard"), **params)


# --- Dashboard ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "lena", "alice"])
def test_dashboard_renders_for_admin_team_lead_and_salesperson(world, who):
    response = dashboard(getattr(world.people, who))
    assert response.status_code == 200
    html = response.content.decode()
    for section in ("s-mail", "s-awaiting", "s-response", "s-funnel", "s-people"):
        assert f'id="{section}"' in html
    assert "<svg" in html and "analytics-table" in html


def test_a_salespersons_dashboard_shows_only_their_numbers(world):
    p = world.people
    response = dashboard(p.alice)
    html = response.content.decode()
    # The email table sums to the metric's own figure for alice: 3 in, 3 out.
    table = next(
        t for s in response.context["sections"] for t in s.tables if t.name == "email_volume"
    )
    rows = email_volume(p.alice, period())
    assert sum(r[1].value for r in table.rows) == sum(r.inbound for r in rows) == 3
    assert sum(r[2].value for r in table.rows) == sum(r.outbound for r in rows) == 3
    # Her first-response median is the metric's.
    mine = next(r for r in response_times(p.alice, period()) if r.key == f"user:{p.alice.pk}")
    times = next(
        t for s in response.context["sections"] for t in s.tables if t.name == "response_times"
    )
    assert times.rows[0][0].text == "alice"
    assert times.rows[0][2].value == mine.median_minutes
    # Nobody else's name or customers.
    for other in ("bob", "carol", "lena", "Bolt", "Chen Co"):
        assert other not in html
    # No team or person choice for an own scope.
    assert 'name="team"' not in html and 'name="user"' not in html


def test_a_team_leads_dashboard_shows_only_their_team(world):
    html = dashboard(world.people.lena).content.decode()
    assert "alice" in html and "bob" in html
    assert "carol" not in html and "Chen Co" not in html
    assert ">Asia<" not in html  # the team select lists only teams she sees


def test_the_admin_sees_every_team_and_can_narrow_to_one(world):
    p = world.people
    everyone = dashboard(p.admin).content.decode()
    assert "carol" in everyone
    asia = dashboard(p.admin, team=str(world.asia.pk))
    table = next(t for s in asia.context["sections"] for t in s.tables if t.name == "leaderboard")
    assert [r[0].text for r in table.rows] == ["carol"]


def test_every_number_links_to_its_drill_down(world):
    response = dashboard(world.people.admin)
    for section in response.context["sections"]:
        for table in section.tables:
            for row in table.rows:
                for cell in row[1:]:
                    if cell.numeric and isinstance(cell.value, int) and cell.value:
                        if table.name in ("funnel_cohorts", "subjects") and not cell.href:
                            continue  # won-by-cohort and replies are shown beside a linked total
                        assert cell.href.startswith("/analytics/drill/?metric="), (table.name, cell)


def test_presets_keep_the_other_filters(world):
    html = dashboard(world.people.admin, source="fair").content.decode()
    assert "source=fair" in html
    assert html.count('class="btn btn-sm') >= 5


def test_dashboard_queries_are_bounded(world, django_assert_max_num_queries):
    """About 62 queries on the fixture; more people and customers must not add any."""
    from keyou.crm.models import Account
    from keyou.people.services import user_add

    for n in range(8):
        person = user_add(username=f"extra{n}", email=f"extra{n}@demo-trading.com", team="Europe")
        with time_machine.travel(sh(10, 20), tick=False):
            Account.objects.create(
                name=f"Extra {n}", owner=person, team=person.team, country="ES", source="ads"
            )
    with time_machine.travel(NOW, tick=False):
        client = client_for(world.people.admin)
        with django_assert_max_num_queries(72):
            response = client.get(reverse("analytics_dashboard"), QUERY)
    assert response.status_code == 200


def test_dashboard_needs_a_login(world):
    response = Client().get(reverse("analytics_dashboard"))
    assert response.status_code == 302


# --- Drill-down --------------------------------------------------------------------------


def _drill(user, metric, key, **params):
    return get(user, reverse("analytics_drill"), metric=metric, key=key, **params)


def test_drill_lists_exactly_the_rows_of_a_number(world):
    p = world.people
    response = _drill(p.admin, "win_rate", "all")
    assert response.status_code == 200
    expected = drill_rows(p.admin, "win_rate", "all", period())
    assert [i.title for i in response.context["items"]] == [d.title for d in expected]
    assert {d.title for d in expected} == {"D1", "D2", "D4"}
    html = response.content.decode()
    for deal in expected:
        assert reverse("deal_detail", args=[deal.pk]) in html
    assert "Back to the dashboard" in html


def test_drill_of_messages_links_to_threads(world):
    p = world.people
    day = sh(10, 12).date().isoformat()
    response = _drill(p.alice, "email_volume", f"{day}:outbound")
    items = response.context["items"]
    assert len(items) == 1 and items[0].href.startswith("/threads/")


def test_an_outsider_cannot_drill_into_another_teams_row(world):
    p = world.people
    bob = f"user:{p.bob.pk}:won"
    # Carol (Asia) asks for Bob's (Europe) deals: nothing, as the metric shows her none.
    response = _drill(p.carol, "win_rate", f"user:{p.bob.pk}")
    assert response.status_code == 200
    assert response.context["items"] == []
    assert "D2" not in response.content.decode()
    assert _drill(p.carol, "leaderboard", bob).context["items"] == []
    # Lena, Bob's team lead, sees it.
    assert [i.title for i in _drill(p.lena, "win_rate", f"user:{p.bob.pk}").context["items"]] == [
        "D2"
    ]


def test_unknown_metric_or_key_is_404(world):
    p = world.people
    assert _drill(p.admin, "nonsense", "all").status_code == 404
    assert _drill(p.admin, "win_rate", "").status_code == 404
    assert _drill(p.admin, "forecast", "not-a-month").status_code == 404


def test_drill_is_paginated(world, monkeypatch):
    monkeypatch.setattr("keyou.web.views.analytics.DRILL_PER_PAGE", 2)
    p = world.people
    first = _drill(p.admin, "win_rate", "all")
    assert len(first.context["items"]) == 2
    assert "page=2" in first.content.decode()
    second = _drill(p.admin, "win_rate", "all", page="2")
    assert len(second.context["items"]) == 1


# --- Exports -----------------------------------------------------------------------------


def _export(user, table, file_format="csv", **params):
    return get(user, reverse(f"analytics_export_{file_format}"), table=table, **params)


def test_export_needs_the_capability_and_the_refusal_is_audited(world):
    p = world.people
    response = _export(p.alice, "leaderboard")  # salespeople may not export
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT_REFUSED, actor=p.alice).exists()
    assert not Export.objects.exists()
    # No export links on her dashboard either.
    assert "/analytics/export" not in dashboard(p.alice).content.decode()


def test_csv_export_is_watermarked_audited_and_scoped(world):
    p = world.people
    response = _export(p.lena, "leaderboard")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    export = Export.objects.get()
    assert rows[0][0].startswith(f"# Keyou export {export.pk} · lena · ")
    assert {r[0] for r in rows[2:]} == {"alice", "bob", "lena"}
    assert export.kind == "analytics" and export.rows == 3
    assert export.params["table"] == "leaderboard"
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == p.lena and entry.data["params"]["start"] == QUERY["start"]
    assert "attachment" in response["Content-Disposition"]


def test_xlsx_export_carries_the_watermark(world):
    from openpyxl import load_workbook

    response = _export(world.people.admin, "by_country", "xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert str(sheet["A1"].value).startswith("Keyou export ")
    assert "admin" in book.properties.keywords
    countries = {row[0].value for row in sheet.iter_rows(min_row=3)}
    assert {"GB", "DE", "CN", "FR", "IT"} <= countries


def test_export_of_an_unknown_table_is_404(world):
    assert _export(world.people.admin, "nonsense").status_code == 404


def test_a_role_given_the_export_capability_may_export(world):
    p = world.people
    role = Role.objects.get(slug="salesperson")
    role.capabilities = [*role.capabilities, Capability.EXPORT]
    role.save()
    response = _export(p.alice, "win_rate")
    assert response.status_code == 200
    assert "bob" not in response.content.decode("utf-8-sig")


# --- My day ------------------------------------------------------------------------------


def test_my_day_renders_and_picks_the_overdue_reply_first(world):
    p = world.people
    response = get(p.carol, reverse("my_day"))
    assert response.status_code == 200
    day = response.context["day"]
    # Chen wrote again on 13 Oct and is still waiting: an SLA breach beats the overdue task.
    assert day.first.kind == "reply"
    assert [t.title for t in day.overdue_tasks][:1] == ["Call chen"]
    assert "Do this first" in response.content.decode()


def test_do_this_first_follows_the_priority(world):
    p = world.people
    with time_machine.travel(NOW, tick=False):
        day = my_day(p.carol)
        assert first_thing(day).kind == "reply"
        day.replies = [r for r in day.replies if not r.breached]
        assert first_thing(day).kind == "task"
        day.overdue_tasks = []
        PoolMove.objects.create(
            account=world.accounts.echo,  # carol's since 20 Oct, not followed up since
            kind=MoveKind.WARNED,
            user=p.carol,
            at=NOW,
            due_at=NOW + timedelta(hours=5),
        )
        day.reclaims = my_day(p.carol).reclaims
        assert [r.soon for r in day.reclaims] == [True]
        assert first_thing(day).kind == "reclaim"
        day.reclaims = []
        Deal.objects.filter(pk=world.deals.d3.pk).update(stalled_at=NOW)
        day.stalled = my_day(p.carol).stalled
        assert [s.deal.title for s in day.stalled] == ["D3"]
        assert first_thing(day).kind == "deal"
        day.stalled = []
        Task.objects.create(
            title="Quote chen", assignee=p.carol, due_at=NOW + timedelta(hours=3),
            status=TaskStatus.OPEN, account=world.accounts.chen,
        )  # fmt: skip
        day.today_tasks = my_day(p.carol).today_tasks
        assert first_thing(day).kind == "today"
        day.today_tasks = []
        assert first_thing(day) is None


def test_a_deal_longer_in_its_stage_than_the_stall_days_is_stalled(world):
    p = world.people
    d3 = Deal.objects.get(pk=world.deals.d3.pk)  # carol's, in Contacted since 16 Oct
    stage = d3.stage
    stage.stall_days = 5
    stage.save()
    with time_machine.travel(NOW, tick=False):
        assert [s.deal.pk for s in my_day(p.carol).stalled] == [d3.pk]
        stage.stall_days = 30
        stage.save()
        assert my_day(p.carol).stalled == []


def test_my_day_shows_only_my_things(world):
    html = get(world.people.alice, reverse("my_day")).content.decode()
    assert "Call chen" not in html and "Visit bolt" not in html


# --- Customer health ---------------------------------------------------------------------


def test_health_panel_renders_on_the_account_page(world):
    p, a = world.people, world.accounts
    response = get(p.alice, reverse("account_detail", args=[a.acme.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Customer health" in html and "chart-spark" in html


def test_health_rules(world):
    p, a = world.people, world.accounts
    with time_machine.travel(NOW, tick=False):
        # chen: Chen's second message is past its reply time.
        chen = account_health(p.carol, a.chen)
        assert chen.badge == AT_RISK and chen.overdue_replies == 1
        assert chen.overdue_tasks == 1  # "Call chen"
        assert chen.median_response_minutes == 20
        # dune: answered, nothing owed, wrote this month.
        dune = account_health(p.alice, a.dune)
        assert sum(dune.volume) >= 2 and len(dune.volume) == 12
    with time_machine.travel(NOW + timedelta(days=40), tick=False):
        assert account_health(p.alice, a.dune).badge in (WATCH, AT_RISK)
    assert GOOD  # the third badge exists for accounts with nothing wrong


# --- Navigation --------------------------------------------------------------------------


def test_section_names_cover_the_new_pages(world):
    from keyou.web.templatetags.keyou_web import SECTIONS

    assert "analytics_dashboard" in SECTIONS["analytics"]
    assert SECTIONS["today"] == {"my_day"}
    assert reverse("my_day") == "/today/"
    assert urlencode(QUERY)


def test_the_dashboards_export_links_download_their_table(world):
    import html as html_lib
    import re

    page = dashboard(world.people.lena, source="website").content.decode()
    links = re.findall(r'href="(/analytics/export\.csv\?table=win_rate[^"]*)"', page)
    assert len(links) == 1
    with time_machine.travel(NOW, tick=False):
        response = client_for(world.people.lena).get(html_lib.unescape(links[0]))
    assert response.status_code == 200
    assert Export.objects.get().params["source"] == "website"


def test_every_drill_link_on_the_dashboard_opens(world):
    response = dashboard(world.people.admin)
    hrefs = {
        cell.href
        for section in response.context["sections"]
        for table in section.tables
        for row in table.rows
        for cell in row
        if cell.href
    }
    assert len(hrefs) > 50
    with time_machine.travel(NOW, tick=False):
        client = client_for(world.people.admin)
        for href in sorted(hrefs):
            page = client.get(href)
            assert page.status_code == 200, href
            # A non-zero count lists at least one record.
            assert page.context["page"].paginator.count > 0, href


def test_an_empty_company_gets_an_empty_dashboard_and_day(db):
    from keyou.people.services import user_add

    boss = user_add(username="boss", email="boss@example.com", admin=True)
    client = client_for(boss)
    response = client.get(reverse("analytics_dashboard"))
    assert response.status_code == 200
    assert "Nothing in this period." in response.content.decode()
    assert client.get(reverse("my_day")).status_code == 200
