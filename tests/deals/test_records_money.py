"""Quotes, orders and payments; currencies and the forecast; who sees which deal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from keyou.crm.models import Activity, ActivityKind
from keyou.crm.selectors import NotFound
from keyou.deals.models import DealRecord, RecordKind
from keyou.deals.money import InvalidMoney, amount_in_company, rate_set
from keyou.deals.records import deal_attachments, deal_record_add, deal_record_status_set
from keyou.deals.selectors import (
    DealFilters,
    deal_board,
    deal_forecast,
    deal_get_for,
    deals_list,
)
from keyou.deals.services import InvalidDeal, deal_create, deal_move_stage
from keyou.mail.models import Attachment, Message
from keyou.people.access import SYSTEM, NotAllowed
from keyou.people.services import role_save
from tests.mail.mailfactory import raw_message
from tests.web.conftest import _ingest


def _attach(message: Message, name: str) -> Attachment:
    return Attachment.objects.create(
        message=message, sha256="0" * 64, filename=name, content_type="application/pdf", size=10
    )


@pytest.fixture
def rates(people):
    rate_set(actor=people.admin, currency="USD", rate="7.2", valid_from=date(2026, 1, 1))
    rate_set(actor=people.admin, currency="USD", rate="7.0", valid_from=date(2026, 4, 1))
    rate_set(actor=people.admin, currency="EUR", rate="7.8", valid_from=date(2026, 1, 1))


def test_amount_in_company_uses_the_rate_valid_that_day(rates):
    assert amount_in_company(Decimal("100"), "USD", date(2026, 3, 31)) == Decimal("720.00")
    assert amount_in_company(Decimal("100"), "USD", date(2026, 4, 1)) == Decimal("700.00")
    assert amount_in_company(Decimal("100"), "CNY", date(2020, 1, 1)) == Decimal("100.00")
    assert amount_in_company(Decimal("100"), "USD", date(2025, 12, 31)) is None  # before any rate
    assert amount_in_company(Decimal("100"), "JPY", date(2026, 3, 1)) is None


def test_rates_need_the_manage_rules_capability(people):
    with pytest.raises(NotAllowed):
        rate_set(actor=people.carol, currency="USD", rate="7", valid_from=date(2026, 1, 1))
    with pytest.raises(InvalidMoney):
        rate_set(actor=people.admin, currency="US", rate="7", valid_from=date(2026, 1, 1))
    with pytest.raises(InvalidMoney):
        rate_set(actor=people.admin, currency="CNY", rate="1", valid_from=date(2026, 1, 1))


def test_records_numbered_per_kind_and_year_on_the_timeline(people, crm, pipeline):
    deal = deal_create(actor=people.alice, account=crm.acme, title="LED", currency="USD")
    q1 = deal_record_add(
        actor=people.alice, deal=deal, kind="quote", amount="1000", on=date(2026, 3, 2)
    )
    q2 = deal_record_add(
        actor=people.alice, deal=deal, kind="quote", amount="900", on=date(2026, 3, 9)
    )
    order = deal_record_add(
        actor=people.alice, deal=deal, kind="order", amount="900", on=date(2026, 3, 9)
    )
    assert (q1.number, q2.number, order.number) == ("Q-2026-0001", "Q-2026-0002", "O-2026-0001")
    assert q1.status == "draft" and order.status == "confirmed" and q1.currency == "USD"
    with pytest.raises(InvalidDeal, match="taken"):
        deal_record_add(
            actor=people.alice, deal=deal, kind="quote", amount="1", number="Q-2026-0001"
        )
    with pytest.raises(InvalidDeal):
        deal_record_status_set(actor=people.alice, record=q1, status="shipped")
    deal_record_status_set(actor=people.alice, record=q1, status="sent")
    kinds = list(
        Activity.objects.filter(deal=deal)
        .exclude(kind=ActivityKind.DEAL)
        .values_list("kind", "data__event")
    )
    assert sorted(kinds) == sorted(
        [("quote", "added"), ("quote", "added"), ("order", "added"), ("quote", "status")]
    )


def test_attachment_from_the_account_mail_only(people, crm, acme_mail, pipeline):
    quote_mail = Message.objects.get(message_id="quote-1@acme.co.uk")
    ours = _attach(quote_mail, "rfq.pdf")
    foreign_raw = raw_message(
        sender="Li Wei <li.wei@globex.cn>",
        to="sales@demo-trading.com",
        subject="Order",
        message_id="<order-9@globex.cn>",
    )
    _ingest(acme_mail.sales, foreign_raw)
    foreign = _attach(Message.objects.get(message_id="order-9@globex.cn"), "po.pdf")
    deal = deal_create(actor=people.alice, account=crm.acme, title="LED", currency="EUR")
    assert [a.pk for a in deal_attachments(people.alice, deal)] == [ours.pk]
    record = deal_record_add(
        actor=people.alice, deal=deal, kind="quote", amount="10", attachment=ours.pk
    )
    assert record.attachment == ours
    with pytest.raises(InvalidDeal, match="not one you can open"):
        deal_record_add(
            actor=people.alice, deal=deal, kind="quote", amount="10", attachment=foreign
        )
    with pytest.raises(InvalidDeal, match="not from this customer"):
        deal_record_add(
            actor=people.admin, deal=deal, kind="quote", amount="10", attachment=foreign
        )
    assert DealRecord.objects.count() == 1


def test_outsider_cannot_see_or_get_a_deal(people, crm, pipeline):
    deal = deal_create(actor=people.alice, account=crm.acme, title="LED")
    assert deal_get_for(people.bob, deal.pk) == deal  # teammate (team lead of Europe)
    with pytest.raises(NotFound):
        deal_get_for(people.carol, deal.pk)
    with pytest.raises(NotFound):
        deal_get_for(people.carol, 999999)
    assert list(deals_list(people.carol)) == []
    assert deal_board(people.carol, pipeline.pipeline).columns[0].cards == []


def _forecast_deals(people, crm, pipeline):
    def make(actor, account, title, amount, currency, close, stage):
        deal = deal_create(
            actor=actor,
            account=account,
            title=title,
            amount=amount,
            currency=currency,
            expected_close=close,
        )
        return deal_move_stage(actor=actor, deal=deal, stage=stage)

    alice, bob = people.alice, people.bob
    make(alice, crm.acme, "D1", "1000", "USD", "2026-03-20", "Quoted")  # 7200 × 50% = 3600
    make(alice, crm.acme, "D2", "500", "EUR", "2026-04-10", "Negotiation")  # 3900 × 70% = 2730
    make(alice, crm.acme, "D3", "2000", "USD", "2026-04-15", "Quoted")  # 14000 × 50% = 7000
    make(bob, crm.initech, "D4", "10000", "CNY", "2026-03-31", "Negotiation")  # 7000
    make(bob, crm.initech, "D5", "100000", "JPY", "2026-03-10", "Quoted")  # no rate
    make(alice, crm.acme, "D0", "1", "USD", "2026-07-01", "Quoted")  # after the months shown
    with time_machine.travel(datetime(2026, 3, 15, 4, 0, tzinfo=UTC), tick=False):
        make(alice, crm.acme, "D6", "500", "USD", "2026-03-31", "Paid")  # won: 3600


def test_forecast_by_owner_and_month_in_two_currencies(people, crm, pipeline, rates):
    _forecast_deals(people, crm, pipeline)
    forecast = deal_forecast(people.admin, first_month=date(2026, 3, 1), months=3)
    assert forecast.months == [date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)]
    assert forecast.currency == "CNY"
    rows = {row.owner.username: row for row in forecast.rows}
    march, april = rows["alice"].cells[0], rows["alice"].cells[1]
    assert (march.count, march.weighted, march.total) == (1, Decimal("3600.00"), Decimal("7200.00"))
    assert (march.won_count, march.won) == (1, Decimal("3600.00"))
    assert (april.count, april.weighted) == (2, Decimal("9730.00"))
    bob_march = rows["bob"].cells[0]
    assert (bob_march.count, bob_march.weighted, bob_march.no_rate) == (2, Decimal("7000.00"), 1)
    assert forecast.totals[0].weighted == Decimal("10600.00")
    assert forecast.totals[1].weighted == Decimal("9730.00")
    assert rows["alice"].total.weighted == Decimal("13330.00")
    assert forecast.totals[2].count == 0 and forecast.totals[2].weighted is None
    grand = forecast.grand
    assert (grand.count, grand.weighted, grand.won, grand.no_rate) == (
        5,
        Decimal("20330.00"),
        Decimal("3600.00"),
        1,
    )


def test_forecast_and_board_hide_amounts_without_the_capability(people, crm, pipeline, rates):
    _forecast_deals(people, crm, pipeline)
    viewer = role_save(
        actor=SYSTEM, slug="viewer", name="Viewer", scope="all", capabilities=["view_customers"]
    )
    people.carol.role = viewer
    people.carol.save()
    forecast = deal_forecast(people.carol, first_month=date(2026, 3, 1), months=2)
    assert not forecast.show_amounts
    assert forecast.totals[0].count == 3 and forecast.totals[0].weighted is None
    assert forecast.totals[0].won is None
    board = deal_board(people.carol, pipeline.pipeline)
    quoted = next(c for c in board.columns if c.stage.name == "Quoted")
    assert quoted.count == 4 and quoted.total is None
    assert all(card.amount is None for card in quoted.cards)


def test_board_totals_in_the_company_currency(people, crm, pipeline, rates):
    _forecast_deals(people, crm, pipeline)
    with time_machine.travel(datetime(2026, 3, 20, 4, 0, tzinfo=UTC), tick=False):
        board = deal_board(people.admin, pipeline.pipeline)
    quoted = next(c for c in board.columns if c.stage.name == "Quoted")
    # D1 7200 + D3 14400 + D0 7.20 at March's rate; D5 has no rate.
    assert quoted.total == Decimal("21607.20") and quoted.no_rate == 1
    paid = next(c for c in board.columns if c.stage.name == "Paid")
    assert paid.count == 1


def test_deals_list_filters(people, crm, pipeline, rates):
    _forecast_deals(people, crm, pipeline)
    titles = lambda f: sorted(d.title for d in deals_list(people.admin, f))  # noqa: E731
    assert titles(DealFilters(owner_id=people.bob.pk)) == ["D4", "D5"]
    assert titles(DealFilters(status="won")) == ["D6"]
    assert titles(DealFilters(q="initech")) == ["D4", "D5"]
    assert titles(DealFilters(close_from=date(2026, 4, 1), close_to=date(2026, 4, 30))) == [
        "D2",
        "D3",
    ]
    quoted = pipeline.stage("Quoted")
    assert titles(DealFilters(stage_id=quoted.pk, owner_id=people.alice.pk)) == ["D0", "D1", "D3"]
    assert RecordKind.QUOTE == "quote"
