"""The deals board in a browser: drag a card to another stage; a dialog asks for missing fields."""

from __future__ import annotations

from playwright.sync_api import expect

from keyou.crm.models import Account
from keyou.deals.models import Deal
from keyou.deals.pipelines import pipeline_default_install
from keyou.deals.services import deal_create
from tests.browser.conftest import log_in


def test_drag_a_card_and_fill_the_dialog(live_server, shop, page, tmp_path):
    pipeline_default_install()
    account = Account.objects.create(name="Huaxin Lighting", owner=shop.alice, team=shop.alice.team)
    deal = deal_create(actor=shop.alice, account=account, title="LED panels 500 pcs")
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/deals/")
    card = page.locator(f"#deal-{deal.pk}")
    expect(card).to_be_visible()

    page.drag_and_drop(f"#deal-{deal.pk}", "section.deal-column:has(h2:text-is('Contacted'))")
    contacted = page.locator("section.deal-column:has(h2:text-is('Contacted'))")
    expect(contacted.locator(f"#deal-{deal.pk}")).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage.name == "Contacted"

    # Quoted needs an amount and a currency: the dialog asks, the move completes.
    page.drag_and_drop(f"#deal-{deal.pk}", "section.deal-column:has(h2:text-is('Quoted'))")
    dialog = page.locator("dialog.deal-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("first fill in")
    page.screenshot(path=str(tmp_path / "dialog.png"))
    dialog.locator("input[name=amount]").fill("12500")
    dialog.locator("input[name=currency]").fill("USD")
    dialog.get_by_role("button", name="Move").click()
    quoted = page.locator("section.deal-column:has(h2:text-is('Quoted'))")
    expect(quoted.locator(f"#deal-{deal.pk}")).to_be_visible()
    expect(quoted).to_contain_text("12,500.00 USD")
    page.screenshot(path=str(tmp_path / "board.png"), full_page=True)
    print(f"screenshots in {tmp_path}")
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.stage.name == "Quoted" and deal.currency == "USD"

    # Lost asks for a reason (here through the card's own form); cancelling changes nothing.
    lost = str(deal.pipeline.stages.get(name="Lost").pk)
    page.select_option(f"#move-{deal.pk}", lost)
    page.locator(f"#deal-{deal.pk}").get_by_role("button", name="Move").click()
    expect(dialog.locator("select[name=lost_reason]")).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert Deal.objects.get(pk=deal.pk).stage.name == "Quoted"
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    expect(page.locator("main")).to_contain_text("Stage history")
    page.screenshot(path=str(tmp_path / "detail.png"), full_page=True)
