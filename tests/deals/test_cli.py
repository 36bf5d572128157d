"""keyou deals: pipelines, list, show, move with --set, stall-sweep, rates."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from keyou.deals.models import CurrencyRate
from keyou.deals.services import deal_create


def _run(*args) -> str:
    out = StringIO()
    call_command("deals", *args, stdout=out)
    return out.getvalue()


def test_deals_cli(people, crm, pipeline):
    deal = deal_create(actor=people.alice, account=crm.acme, title="LED panels")
    data = json.loads(_run("pipelines", "--json"))
    assert [s["name"] for s in data[0]["stages"]][:2] == ["Lead", "Contacted"]
    assert "LED panels" in _run("list")
    with pytest.raises(CommandError, match="amount, currency"):
        _run("move", str(deal.pk), "Quoted")
    moved = json.loads(
        _run(
            "move", str(deal.pk), "Quoted", "--set", "amount=900", "--set", "currency=EUR", "--json"
        )
    )
    assert moved["stage"] == "Quoted" and moved["amount"] == "900.00"
    shown = json.loads(_run("show", str(deal.pk), "--json"))
    assert [h["to"] for h in shown["history"]] == ["Lead", "Quoted"]
    assert "0 deal(s) stalled" in _run("stall-sweep")
    assert "1 USD = 7.1" in _run("rates", "set", "USD", "7.1", "--from", "2026-01-01")
    assert CurrencyRate.objects.get().currency == "USD"
    with pytest.raises(CommandError):
        _run("show", "999999")
