"""A lead from issue 6's inquiry detection becomes a deal in one click, once."""

from __future__ import annotations

from keyou.crm.models import Lead, LeadStatus
from keyou.deals.models import Deal


def test_a_lead_opens_a_deal_once_and_is_marked_converted(people, crm, pipeline, login):
    lead = Lead.objects.create(
        title="Quotation request: LED panels",
        account=crm.acme,
        contact=crm.anna,
        source="email inquiry",
        owner=people.alice,
        team=people.alice.team,
    )
    browser = login(people.alice)
    assert "Open a deal" in browser.get("/leads/").content.decode()

    response = browser.post(f"/leads/{lead.pk}/convert/")

    deal = Deal.objects.get(lead=lead)
    assert response.status_code == 302 and response["Location"] == f"/deals/{deal.pk}/"
    assert deal.title == lead.title and deal.account == crm.acme and deal.owner == people.alice
    assert list(deal.contacts.all()) == [crm.anna]
    assert deal.stage == pipeline.pipeline.stages.order_by("position").first()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    # Asked again (a double click): the same deal, no second one.
    browser.post(f"/leads/{lead.pk}/convert/")
    assert Deal.objects.filter(lead=lead).count() == 1
    # Someone who cannot see the customer cannot convert its lead.
    assert login(people.carol).post(f"/leads/{lead.pk}/convert/").status_code == 404
