"""A salesperson works a customer end to end in the browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in


def test_search_open_customer_thread_and_add_a_note(live_server, shop, page):
    log_in(page, live_server.url)
    # A two-character Chinese word finds the message and its customer.
    page.fill("#global-search", "报价")
    page.press("#global-search", "Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    page.get_by_role("link", name="关于LED面板的报价", exact=True).click()
    # The thread: both messages, in order, the answer readable.
    page.wait_for_url(re.compile(r"/threads/\d+/"))
    thread_url = page.url.split("#")[0]
    expect(page.locator("h1")).to_contain_text("关于LED面板的报价")
    expect(page.locator("article.msg")).to_have_count(2)
    expect(page.get_by_text("报价单见附件")).to_be_visible()
    # The customer it is filed to.
    page.locator("article.msg").first.get_by_role("link", name="huaxin-lighting.cn").click()
    page.wait_for_url(re.compile(r"/accounts/\d+/$"))
    account_url = page.url
    expect(page.locator("h1")).to_contain_text("huaxin-lighting.cn")
    # The timeline links back to the thread.
    expect(page.locator(".tl-title a", has_text="关于LED面板的报价")).to_have_attribute(
        "href", re.compile(re.escape(thread_url.removeprefix(live_server.url)))
    )
    # A note, added on the account page, shows on the timeline.
    page.fill(
        "#note-form textarea[name=body]", "电话沟通：客户下周确认订单 / call: order next week"
    )
    page.locator("#note-form button[type=submit]").click()
    expect(page.locator("#timeline")).to_contain_text("客户下周确认订单")
    page.reload()
    expect(page.locator("#timeline")).to_contain_text("客户下周确认订单")
    # The customer is found by name too.
    page.fill("#global-search", "huaxin")
    page.press("#global-search", "Enter")
    page.get_by_role("link", name="huaxin-lighting.cn").first.click()
    assert page.url == account_url
    assert page.js_errors == []


def test_switch_language(live_server, shop, page):
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/me/")
    page.select_option("select[name=language]", "zh-hans")
    page.locator("form button[type=submit]").last.click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("nav.nav")).to_contain_text("客户")
    page.select_option("select[name=language]", "en")
    page.locator("form button[type=submit]").last.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("nav.nav")).to_contain_text("Customers")
    assert page.js_errors == []


def test_account_list_awaiting_filter(live_server, shop, page):
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/accounts/")
    expect(page.get_by_role("link", name="huaxin-lighting.cn")).to_be_visible()
    page.goto(f"{live_server.url}/accounts/?awaiting=on")
    # We answered the only inquiry: nothing is awaiting our reply.
    expect(page.get_by_role("link", name="huaxin-lighting.cn")).to_have_count(0)
    assert page.js_errors == []
