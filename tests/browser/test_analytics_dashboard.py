# ruff: noqa: F811  (the `world` fixture is imported from tests/analytics/conftest.py)
"""The analytics dashboard in a browser, in Chinese: it renders, charts and tables fit the page.

The screenshots (dashboard.png, my_day.png under the test's tmp dir, path printed)
are for a person to look at; the test checks that nothing overflows sideways.
"""

from __future__ import annotations

import time_machine
from playwright.sync_api import expect

from tests.analytics.conftest import NOW, PERIOD, world  # noqa: F401
from tests.browser.conftest import PASSWORD, log_in


def test_dashboard_in_chinese(transactional_db, world, live_server, page, tmp_path):  # noqa: F811
    admin = world.people.admin
    admin.set_password(PASSWORD)
    admin.language = "zh-hans"
    admin.save()
    log_in(page, live_server.url, "admin")
    query = f"start={PERIOD[0].isoformat()}&end={PERIOD[1].isoformat()}"
    page.goto(f"{live_server.url}/analytics/?{query}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#s-funnel svg.chart").first).to_be_visible()
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"dashboard screenshot: {shot}")
    height = page.evaluate("document.documentElement.scrollHeight")
    for n, top in enumerate(range(0, height, 1200)):
        clip = {"x": 0, "y": top, "width": 1280, "height": min(1200, height - top)}
        page.screenshot(path=str(tmp_path / f"dashboard-{n}.png"), clip=clip, full_page=True)
    # Nothing wider than the window: no sideways scrolling of the page.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280

    # Carol's day on the fixture's "now" (ticking, so the browser's timers still run).
    carol = world.people.carol
    carol.set_password(PASSWORD)
    carol.language = "zh-hans"
    carol.save()
    with time_machine.travel(NOW):
        page.context.clear_cookies()
        log_in(page, live_server.url, "carol")
        page.goto(f"{live_server.url}/today/")
        expect(page.locator(".first-thing a")).to_be_visible()
        shot = tmp_path / "my_day.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"my day screenshot: {shot}")
        page.goto(f"{live_server.url}/accounts/{world.accounts.chen.pk}/")
        panel = page.locator(".health-panel")
        expect(panel.locator(".badge-danger")).to_be_visible()
        panel.screenshot(path=str(tmp_path / "health.png"))
