"""The contact page, through HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.urls import reverse

from keyou.crm.models import ActivityKind
from keyou.crm.services import interaction_log
from keyou.people.access import SYSTEM

HTMX = {"HX-Request": "true"}


def url(contact) -> str:
    return reverse("contact_detail", args=[contact.pk])


def test_contact_page_for_owner(login, people, crm, acme_mail):
    crm.anna.phones = ["+441632960123"]
    crm.anna.save()
    interaction_log(
        actor=SYSTEM,
        account=crm.acme,
        kind=ActivityKind.CALL,
        occurred_at=datetime(2026, 3, 4, 1, 0, tzinfo=UTC),
        summary="Call with Anna about the deposit",
        contact_ids=[crm.anna.pk],
    )
    interaction_log(
        actor=SYSTEM,
        account=crm.acme,
        kind=ActivityKind.MEETING,
        occurred_at=datetime(2026, 3, 4, 2, 0, tzinfo=UTC),
        summary="Ben only",
        contact_ids=[crm.ben.pk],
    )

    response = login(people.alice).get(url(crm.anna))
    body = response.content.decode()

    assert response.status_code == 200
    for text in ("Anna Buyer", "Purchasing", "anna@acme.co.uk", "+441632960123"):
        assert text in body
    assert reverse("account_detail", args=[crm.acme.pk]) in body
    assert "Call with Anna about the deposit" in body
    assert "Ben only" not in body and "Samples for the spring fair" not in body
    assert "Quotation request: LED panels" in body
    assert "2026-03-04 09:00" in body  # 01:00 UTC in Asia/Shanghai


def test_contact_page_for_teammate_and_admin(login, people, crm):
    assert login(people.bob).get(url(crm.anna)).status_code == 200
    assert login(people.admin).get(url(crm.li)).status_code == 200


def test_contact_outside_scope_looks_missing(login, people, crm):
    client = login(people.carol)
    assert client.get(url(crm.anna)).status_code == 404
    assert client.get(reverse("contact_detail", args=[999999])).status_code == 404
    assert login(people.alice).get(url(crm.li)).status_code == 404


def test_contact_page_needs_login(client, crm):
    assert client.get(url(crm.anna)).status_code == 302


def test_contact_timeline_pages(login, people, crm):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(52):
        interaction_log(
            actor=SYSTEM,
            account=crm.acme,
            kind=ActivityKind.CALL,
            occurred_at=start + timedelta(hours=i),
            summary=f"Call {i}",
            contact_ids=[crm.anna.pk],
        )
    client = login(people.alice)
    first = client.get(url(crm.anna))
    assert len(first.context["timeline"].entries) == 50
    more = first.context["more_url"]
    assert more.startswith(url(crm.anna) + "?before=")

    older = client.get(more)
    assert [e.activity.data["summary"] for e in older.context["timeline"].entries] == [
        "Call 1",
        "Call 0",
    ]
    fragment = client.get(more, headers={**HTMX, "HX-Target": "timeline-more"})
    assert "<html" not in fragment.content.decode() and "Call 0" in fragment.content.decode()
    assert client.get(url(crm.anna) + "?before=nonsense").status_code == 200
