"""The deal pages through HTTP: board, moving by form (and the missing-fields form), scoping."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from keyou.deals.models import Deal, DealRecord, DealStatus, Stage
from keyou.deals.money import rate_set
from keyou.deals.pipelines import pipeline_default_install
from keyou.deals.services import deal_create
from keyou.people.access import SYSTEM
from keyou.people.services import role_save


@pytest.fixture
def deal(people, crm):
    pipeline_default_install()
    return deal_create(
        actor=people.alice,
        account=crm.acme,
        title="LED panels 500 pcs",
        amount="12500",
        currency="USD",
    )


def _stage(name: str) -> Stage:
    return Stage.objects.get(pipeline__is_default=True, name=name)


def test_board_shows_stages_and_cards(login, people, deal):
    rate_set(actor=SYSTEM, currency="USD", rate="7.2", valid_from=date(2020, 1, 1))
    response = login(people.alice).get(reverse("deal_board"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Lead", "Contacted", "Quoted", "Negotiation", "Paid", "Lost"):
        assert f">{name}</h2>" in html
    assert "LED panels 500 pcs" in html and "Acme Trading Ltd" in html
    assert "12,500.00 USD" in html and "90,000.00 CNY" in html  # the card and the column total
    assert reverse("deal_move", args=[deal.pk]) in html


def test_move_by_form(login, people, deal):
    client = login(people.alice)
    board = reverse("deal_board")
    response = client.post(
        reverse("deal_move", args=[deal.pk]), {"stage": _stage("Quoted").pk, "next": board}
    )
    assert response.status_code == 302 and response["Location"] == board
    deal.refresh_from_db()
    assert deal.stage.name == "Quoted"


def test_missing_fields_asked_then_completed(login, people, deal):
    client = login(people.alice)
    url = reverse("deal_move", args=[deal.pk])
    negotiation = _stage("Negotiation").pk
    response = client.post(url, {"stage": negotiation})
    assert response.status_code == 200
    html = response.content.decode()
    assert "first fill in" in html and 'name="expected_close"' in html
    assert 'name="amount"' not in html  # already filled
    deal.refresh_from_db()
    assert deal.stage.name == "Lead"
    # The same form, completed, moves it.
    response = client.post(
        url, {"stage": negotiation, "asked": ["expected_close"], "expected_close": "2026-06-30"}
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage.name == "Negotiation" and deal.expected_close == date(2026, 6, 30)


def test_missing_fields_as_an_htmx_dialog(login, people, deal):
    client = login(people.alice)
    url = reverse("deal_move", args=[deal.pk])
    response = client.post(url, {"stage": _stage("Lost").pk}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith("<dialog")
    assert 'name="lost_reason"' in html and "<html" not in html
    from keyou.deals.models import LostReason

    reason = LostReason.objects.get(name="Price")
    response = client.post(
        url,
        {
            "stage": _stage("Lost").pk,
            "asked": ["lost_reason", "lost_note"],
            "lost_reason": reason.pk,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204 and response["HX-Redirect"]
    deal.refresh_from_db()
    assert deal.status == DealStatus.LOST and deal.lost_reason == reason


def test_outsider_gets_404_on_every_deal_url(login, people, deal):
    client = login(people.carol)
    record = DealRecord.objects.create(
        deal=deal, kind="quote", number="Q-1", date=date(2026, 3, 1), amount=1, currency="USD",
        status="draft",
    )  # fmt: skip
    gets = [
        reverse("deal_detail", args=[deal.pk]),
        reverse("deal_edit", args=[deal.pk]),
        reverse("deal_record_new", args=[deal.pk]),
        reverse("deal_new") + f"?account={deal.account_id}",
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [
        (reverse("deal_move", args=[deal.pk]), {"stage": _stage("Quoted").pk}),
        (reverse("deal_edit", args=[deal.pk]), {"title": "x"}),
        (reverse("deal_record_new", args=[deal.pk]), {"kind": "quote"}),
        (reverse("deal_record_status", args=[deal.pk, record.pk]), {"status": "sent"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert "LED panels" not in client.get(reverse("deal_board")).content.decode()
    assert "LED panels" not in client.get(reverse("deal_list")).content.decode()
    deal.refresh_from_db()
    assert deal.stage.name == "Lead"


def test_amounts_hidden_without_the_capability(login, people, deal):
    viewer = role_save(
        actor=SYSTEM, slug="viewer", name="Viewer", scope="all",
        capabilities=["view_customers", "edit_customers"],
    )  # fmt: skip
    people.carol.role = viewer
    people.carol.save()
    client = login(people.carol)
    for url in (
        reverse("deal_board"),
        reverse("deal_list"),
        reverse("deal_detail", args=[deal.pk]),
        reverse("deal_forecast"),
        reverse("account_detail", args=[deal.account_id]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "12,500" not in html and "12500" not in html, url
    assert "12,500.00 USD" in login(people.alice).get(reverse("deal_list")).content.decode()


def test_account_page_lists_deals_with_a_new_deal_link(login, people, deal):
    html = login(people.alice).get(reverse("account_detail", args=[deal.account_id])).content
    html = html.decode()
    assert "LED panels 500 pcs" in html
    assert reverse("deal_new") + f"?account={deal.account_id}" in html
    assert "Deal opened in Lead" in html  # the deal's entry on the account's timeline


def test_new_deal_edit_and_records(login, people, crm, deal):
    client = login(people.alice)
    response = client.post(
        reverse("deal_new") + f"?account={crm.acme.pk}",
        {
            "title": "Spare parts",
            "pipeline": deal.pipeline_id,
            "amount": "300",
            "currency": "EUR",
            "owner": people.alice.pk,
            "contacts": [crm.anna.pk],
        },
    )
    created = Deal.objects.get(title="Spare parts")
    assert response.status_code == 302 and response["Location"] == reverse(
        "deal_detail", args=[created.pk]
    )
    assert list(created.contacts.all()) == [crm.anna]
    page = client.get(reverse("deal_detail", args=[created.pk]))
    assert page.status_code == 200 and "Spare parts" in page.content.decode()
    response = client.post(
        reverse("deal_edit", args=[created.pk]),
        {
            "title": "Spare parts 2026",
            "amount": "350",
            "currency": "EUR",
            "owner": people.alice.pk,
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": "Valve",
            "lines-0-quantity": "10",
            "lines-0-unit_price": "35",
        },
    )
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.title == "Spare parts 2026" and created.lines.get().product == "Valve"
    response = client.post(
        reverse("deal_record_new", args=[created.pk]),
        {"kind": "quote", "date": "2026-03-02", "amount": "350", "currency": "EUR"},
    )
    assert response.status_code == 302
    record = DealRecord.objects.get(deal=created)
    assert record.number == "Q-2026-0001"
    client.post(reverse("deal_record_status", args=[created.pk, record.pk]), {"status": "sent"})
    record.refresh_from_db()
    assert record.status == "sent"
    assert "Q-2026-0001" in client.get(reverse("deal_detail", args=[created.pk])).content.decode()


def test_forecast_page(login, people, deal):
    response = login(people.alice).get(reverse("deal_forecast") + "?from=2026-03&months=3")
    assert response.status_code == 200
    assert "2026-05" in response.content.decode()


def test_pipeline_settings_for_rule_managers_only(login, people, deal):
    assert login(people.carol).get(reverse("pipeline_settings")).status_code == 403
    client = login(people.admin)
    page = client.get(reverse("pipeline_settings"))
    assert page.status_code == 200 and "Send the quotation" in page.content.decode()
    quoted = _stage("Quoted")
    prefix = f"stage-{quoted.pk}"
    response = client.post(
        reverse("pipeline_settings"),
        {
            "action": "stage_save",
            "pipeline": quoted.pipeline_id,
            "stage": quoted.pk,
            f"{prefix}-name": "Quoted",
            f"{prefix}-probability": "45",
            f"{prefix}-required_fields": ["amount"],
            f"{prefix}-stall_days": "10",
            f"{prefix}-sop": "Send the quotation | 2 | owner | Prices; Terms",
        },
    )
    assert response.status_code == 302
    quoted.refresh_from_db()
    assert quoted.probability == 45 and quoted.required_fields == ["amount"]
    assert quoted.sop[0]["due_days"] == 2 and quoted.sop[0]["checklist"] == ["Prices", "Terms"]
    response = client.post(
        reverse("pipeline_settings"),
        {"action": "stage_delete", "pipeline": quoted.pipeline_id, "stage": _stage("Lead").pk},
        follow=True,
    )
    assert "still holds deals" in response.content.decode()
    client.post(
        reverse("pipeline_settings"),
        {"action": "rate_set", "currency": "usd", "rate": "7.1", "valid_from": "2026-01-01"},
    )
    from keyou.deals.models import CurrencyRate

    assert CurrencyRate.objects.get().currency == "USD"
    response = client.post(
        reverse("pipeline_settings"),
        {"action": "stage_save", "pipeline": quoted.pipeline_id, "stage": "999999"},
    )
    assert response.status_code == 404
