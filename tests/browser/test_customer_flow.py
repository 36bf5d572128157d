"""A salesperson works a customer end to end in the browser."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from keyou.mail.ingest import mail_ingest
from keyou.mail.sources import RawItem
from tests.browser.conftest import log_in
from tests.mail.mailfactory import raw_message

SUBJECT = "关于LED面板的报价"
NOTE = "电话沟通：客户下周确认订单 / call: order next week"


def test_search_open_customer_and_thread_then_add_a_note(live_server, shop, page):
    # Given alice logged in through the login form
    log_in(page, live_server.url)
    expect(page.locator("header .usermenu")).to_contain_text("alice")

    # When she searches a two-character Chinese word in the global search box
    page.fill("#global-search", "报价")
    page.press("#global-search", "Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))

    # Then both messages of the quote thread are found, the word highlighted, and the
    # English inquiry is not
    hits = page.locator(".hit")
    expect(hits).to_have_count(2)
    expect(hits.locator("mark").first).to_have_text("报价")
    expect(page.get_by_role("link", name=SUBJECT, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=f"Re: {SUBJECT}")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Price list for 2026")

    # When she opens the message and, from it, the customer it is filed to
    page.get_by_role("link", name=SUBJECT, exact=True).click()
    page.wait_for_url(re.compile(r"/threads/\d+/"))
    page.locator("article.msg").first.get_by_role("link", name="huaxin-lighting.cn").click()
    page.wait_for_url(re.compile(r"/accounts/\d+/$"))
    account_url = page.url

    # Then the account 360 page shows the thread on its timeline; it opens from there
    expect(page.locator("h1")).to_contain_text("huaxin-lighting.cn")
    page.locator("#timeline .tl-title a", has_text=SUBJECT).click()
    page.wait_for_url(re.compile(r"/threads/\d+/$"))
    expect(page.locator("h1")).to_contain_text(SUBJECT)
    expect(page.locator("article.msg")).to_have_count(2)
    expect(page.get_by_text("报价单见附件")).to_be_visible()

    # When she goes back and adds a note through the form
    page.go_back()
    page.wait_for_url(account_url)
    page.evaluate("window.keyouMarker = 'same page'")
    page.fill("#note-form textarea[name=body]", NOTE)
    page.locator("#note-form button[type=submit]").click()

    # Then the note shows on the timeline at once (htmx swapped it in, no page load),
    # the form is empty again, and the note is still there after a reload
    expect(page.locator("#timeline .tl-note").first).to_contain_text("客户下周确认订单")
    assert page.evaluate("window.keyouMarker") == "same page"
    expect(page.locator("#note-form textarea[name=body]")).to_have_value("")
    page.reload()
    expect(page.locator("#timeline .tl-note").first).to_contain_text(NOTE)
    expect(page.locator("#timeline .tl-note").first).to_contain_text("Alice")


def test_switch_language_between_english_and_chinese(live_server, shop, page):
    log_in(page, live_server.url)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"{live_server.url}/me/")
    save = page.locator("main form:has(select[name=language]) button[type=submit]")

    page.select_option("select[name=language]", "zh-hans")
    save.click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("nav.nav")).to_contain_text("客户")
    # The choice sticks to the user, on every page.
    page.goto(f"{live_server.url}/accounts/")
    expect(page.locator("h1")).to_have_text("客户")

    page.goto(f"{live_server.url}/me/")
    page.select_option("select[name=language]", "en")
    save.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("nav.nav")).to_contain_text("Customers")
    page.goto(f"{live_server.url}/accounts/")
    expect(page.locator("h1")).to_have_text("Customers")


@pytest.fixture
def many_customers(shop):
    """52 more customers, each with one unanswered inquiry: 54 in all, 53 awaiting us."""
    start = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
    raws = [
        raw_message(
            sender=f"Buyer {n} <buyer@importer{n:02d}-trading.com>",
            subject=f"Inquiry {n:02d}",
            body=f"Please quote item {n}.",
            message_id=f"<inq-{n}@importer{n:02d}-trading.com>",
            date=start + timedelta(hours=n),
        )
        for n in range(52)
    ]
    mail_ingest(
        mailbox=shop.box, items=[RawItem(source=f"many#{i}", raw=r) for i, r in enumerate(raws)]
    )
    return shop


def test_account_list_filters_awaiting_and_paginates(live_server, many_customers, page):
    log_in(page, live_server.url)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.wait_for_url(re.compile(r"/accounts/$"))
    rows = page.locator("#account-results tbody tr")
    meta = page.locator("#account-results .list-meta")
    expect(meta).to_contain_text("1–50 of 54 customers")
    expect(rows).to_have_count(50)

    # Ticking "Awaiting our reply" filters in place; the answered customer drops out.
    page.get_by_label("Awaiting our reply").check()
    expect(meta).to_contain_text("1–50 of 53 customers")
    expect(page).to_have_url(re.compile(r"awaiting=on"))
    expect(rows.locator(".badge", has_text="Awaiting reply")).to_have_count(50)
    names = rows.locator("a.primary").all_inner_texts()

    # The next page keeps the filter and shows the rest.
    page.locator(".pager a[rel=next]").click()
    expect(meta).to_contain_text("51–53 of 53 customers")
    expect(page).to_have_url(re.compile(r"awaiting=on.*page=2|page=2.*awaiting=on"))
    expect(rows).to_have_count(3)
    names += rows.locator("a.primary").all_inner_texts()
    assert len(set(names)) == 53
    assert "huaxin-lighting.cn" not in names
    assert "northwind-imports.com" in names

    # And back again; a plain page load of the pushed URL shows the same page.
    page.locator(".pager a[rel=prev]").click()
    expect(meta).to_contain_text("1–50 of 53 customers")
    page.reload()
    expect(meta).to_contain_text("1–50 of 53 customers")
    expect(page.get_by_label("Awaiting our reply")).to_be_checked()
