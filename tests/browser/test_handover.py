"""An admin hands over a departing salesperson's whole book in the browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from keyou.crm.models import Account, AccountDomain, Contact
from keyou.people.models import User
from keyou.people.services import user_add
from tests.browser.conftest import PASSWORD, log_in

BOOK = 40


def test_a_handover_moves_the_whole_book(live_server, shop, page):
    admin = user_add(username="boss", email="boss@demo-trading.com", admin=True, password=PASSWORD)
    dave = user_add(username="dave", email="dave@demo-trading.com", team="Europe",
                    role="salesperson", password=PASSWORD)  # fmt: skip
    bob = user_add(username="bob", email="bob@demo-trading.com", team="Europe",
                   role="salesperson", password=PASSWORD)  # fmt: skip
    accounts = Account.objects.bulk_create(
        Account(name=f"Dave customer {i}", owner=dave, team=dave.team, country="DE")
        for i in range(BOOK)
    )
    AccountDomain.objects.bulk_create(
        AccountDomain(account=a, domain=f"dave-customer-{i}.de") for i, a in enumerate(accounts)
    )
    Contact.objects.bulk_create(Contact(account=a, owner=dave, team=dave.team) for a in accounts)

    log_in(page, live_server.url, "boss")
    page.locator("header .usermenu summary").click()
    page.get_by_role("link", name="Handover").click()
    page.wait_for_url(re.compile(r"/people/handover/"))
    page.select_option("select[name=departing]", label=str(dave))
    page.select_option("select[name=successor]", label=str(bob))
    page.get_by_role("button", name="Preview").click()

    # The preview shows the counts, and nothing has moved yet.
    expect(page.locator("main")).to_contain_text(str(BOOK))
    assert Account.objects.filter(owner=dave).count() == BOOK

    page.get_by_role("button", name="Hand over now").click()
    expect(page.locator("main")).to_contain_text("bob")
    assert Account.objects.filter(owner=dave).count() == 0
    assert Account.objects.filter(owner=bob).count() == BOOK
    assert Contact.objects.filter(owner=dave).count() == 0
    dave.refresh_from_db()
    assert not dave.is_active and dave.departed_at is not None
    assert admin.is_superuser

    # bob finds dave's customers in his list; dave can no longer log in.
    page.context.clear_cookies()
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/accounts/?q=Dave+customer+7")
    expect(page.locator("main")).to_contain_text("Dave customer 7")
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "dave")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".form-errors")).to_be_visible()
    assert "/login/" in page.url
    assert User.objects.get(username="dave").is_active is False
