"""A reader and a member, in a real browser, on the demo registry."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from profiles.accounts.roles import create_or_update_user

# A live server needs committed data; load_demo reinstates the band table a flush removes.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEED = "ai-data-exhaustion-model-collapse"
EXCHANGE = "northbridge-internet-exchange"
MEMBER_PASSWORD = "a-long-member-password"


@pytest.fixture
def demo(live_server):
    call_command("load_demo", "--no-accounts", stdout=open("/dev/null", "w"))
    create_or_update_user("reader-member", role="member", password=MEMBER_PASSWORD)
    return live_server.url


def test_reader_searches_filters_and_opens_a_profile(page, demo):
    page.goto(f"{demo}/en/")
    page.get_by_role("searchbox").first.fill("exchange")
    page.get_by_role("button", name="Search").first.click()
    page.wait_for_url(re.compile(r"/en/profiles/\?q=exchange"))
    results = page.locator(".browse-results")
    assert "Northbridge Internet Exchange" in results.inner_text()

    page.select_option("#browse-kind", "institution")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"kind=institution"))
    assert "Northbridge Internet Exchange" in page.locator(".browse-results").inner_text()

    page.locator(".browse-results").get_by_role("link", name="Northbridge Internet Exchange").first.click()
    page.wait_for_url(f"{demo}/en/profiles/{EXCHANGE}/")
    assert page.locator("h1").inner_text() == "Northbridge Internet Exchange"
    assert page.locator(".badge-grade").inner_text()  # the confidence badge is there


def test_member_logs_in_from_the_teaser_and_sees_the_briefing(page, demo):
    page.goto(f"{demo}/en/profiles/{SEED}/")
    teaser = page.locator(".teaser")
    assert "Log in to unlock the full profile briefing and source notes." in teaser.inner_text()
    teaser.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("reader-member")
    page.get_by_label("Password").fill(MEMBER_PASSWORD)
    page.get_by_role("button", name="Log in").last.click()
    page.wait_for_url(f"{demo}/en/profiles/{SEED}/")
    briefing = page.locator("#briefing")
    assert "Why it matters" in briefing.inner_text()
    assert "Figures on dataset growth come from the article record" in briefing.inner_text()
    assert page.locator(".teaser").count() == 0


def test_language_switch_keeps_the_page(page, demo):
    page.goto(f"{demo}/en/profiles/{SEED}/")
    page.locator(".languages").get_by_role("link", name="Simplified Chinese").click()
    page.wait_for_url(f"{demo}/zh-hans/profiles/{SEED}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "数据枯竭引发的AI危机" in page.locator("h1").inner_text()
    page.locator(".languages").get_by_role("link", name="English").click()
    page.wait_for_url(f"{demo}/en/profiles/{SEED}/")


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("name, path", [("home", "/en/"), ("browse", "/en/profiles/?kind=institution"),
                                        ("profile", f"/en/profiles/{EXCHANGE}/"),
                                        ("profile-zh", f"/zh-hans/profiles/{EXCHANGE}/")])  # fmt: skip
def test_pages_fit_the_screen_and_are_saved_as_screenshots(page, demo, artifacts, width, name, path):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{demo}{path}")
    page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("path", ["/en/", "/en/profiles/", f"/en/profiles/{EXCHANGE}/", f"/zh-hans/profiles/{SEED}/"])
def test_no_serious_accessibility_violations(page, demo, path):
    page.goto(f"{demo}{path}")
    results = Axe().run(page)
    serious = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == []


def test_pages_work_without_javascript(browser, demo):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{demo}/en/profiles/?q=registry")
    page.get_by_role("button", name="Apply").click()
    assert page.locator(".browse-results").count() == 1
    page.goto(f"{demo}/en/profiles/{EXCHANGE}/")
    page.locator("#confidence details summary").first.click()  # explanations open natively
    assert page.locator("#confidence details[open]").count() == 1
    context.close()
