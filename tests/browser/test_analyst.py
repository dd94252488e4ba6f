"""An analyst and an editor, in a real browser, take a profile from nothing to the public page."""

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from profiles.accounts.roles import create_or_update_user, ensure_role_groups
from profiles.services.band_table import ensure_band_table

# A live server needs committed data; the band table is reinstated after each flush.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANALYST_PASSWORD = "a-long-analyst-password"
EDITOR_PASSWORD = "a-long-editor-password"
SLUG = "harbour-internet-exchange"


def expected_score():
    """The claim's score worked out by hand from docs/methodology.md.

    A direct source with reliability A weighs 0.80 × 1.00; reporting with reliability B
    weighs 0.55 × 0.90 = 0.495; both are published today (no decay) by different publishers.
    S⁺ = 1 − (1 − 0.80)(1 − 0.495) = 0.899, which rounds half up to 0.90. There is a direct
    source and two publishers, so no cap: 0.90 is in the band 0.90–1.00, grade A (High).
    The profile's score is the mean of its one verified claim: 0.90 as well.
    """
    direct, reporting = Decimal("0.80") * Decimal("1.00"), Decimal("0.55") * Decimal("0.90")
    support = 1 - (1 - direct) * (1 - reporting)
    assert support == Decimal("0.899")
    return support.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "A", "High"


@pytest.fixture
def desk(live_server):
    ensure_band_table()
    ensure_role_groups()
    create_or_update_user("ana", role="analyst", password=ANALYST_PASSWORD)
    create_or_update_user("eddie", role="editor", password=EDITOR_PASSWORD)
    return live_server.url


def log_in(page, base, username, password):
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")


def choose(page, select_id, search):
    """Pick an option in an admin autocomplete (select2) widget."""
    page.locator(f"#{select_id} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(search)
    page.locator(".select2-results__option", has_text=search).first.click()


def add_evidence(page, base, *, title, url, publisher, kind, reliability):
    page.goto(f"{base}/admin/profiles/evidencerecord/add/")
    page.locator("#id_title_en").fill(title)
    page.locator("#id_url").fill(url)
    page.locator("#id_publisher").fill(publisher)
    page.locator("#id_published_on").fill(date.today().isoformat())
    page.select_option("#id_kind", kind)
    page.select_option("#id_reliability", reliability)
    page.locator("input[name=_save]").click()
    page.wait_for_url(f"{base}/admin/profiles/evidencerecord/")


def test_an_analyst_builds_and_submits_a_profile_and_an_editor_reviews_and_publishes_it(browser, page, desk, artifacts):
    score, grade, label = expected_score()

    # The analyst records two sources, then the profile with one claim citing both.
    log_in(page, desk, "ana", ANALYST_PASSWORD)
    assert "Review queue" in page.locator("#content-main").inner_text()
    add_evidence(page, desk, title="Harbour IX licence filing", url="https://regulator.example/filings/hix",
                 publisher="Office of Digital Networks", kind="direct", reliability="A")  # fmt: skip
    add_evidence(page, desk, title="Harbour IX opens second site", url="https://news.example/hix-second-site",
                 publisher="Peering Weekly", kind="reporting", reliability="B")  # fmt: skip

    page.goto(f"{desk}/admin/profiles/profile/add/")
    page.locator("#id_slug").fill(SLUG)
    page.select_option("#id_kind", "institution")
    page.locator("#id_name_en").fill("Harbour Internet Exchange")
    page.locator("#id_name_zh_hans").fill("港湾互联网交换中心")
    page.locator("#id_summary_en").fill("An internet exchange in the harbour district.")
    page.locator("#id_region").fill("Asia Pacific")
    page.select_option("#id_claims-0-section", "public_role")
    page.locator("#id_claims-0-text_en").fill("Harbour IX holds a national exchange operator licence.")
    page.locator("#id_claims-0-text_zh_hans").fill("港湾交换中心持有国家交换运营许可证。")
    page.locator("#id_claims-0-verified").check()
    for index, search in enumerate(["licence filing", "second site"]):
        page.get_by_role("button", name="Add another Source").click()
        choose(page, f"id_evidence_links-{index}-evidence", search)
    page.locator("input[name=_continue]").first.click()
    page.wait_for_url(re.compile(r"/admin/profiles/profile/\d+/change/"))
    profile_url = page.url
    assert "was added successfully" in page.locator(".messagelist").inner_text()

    # The claim's evidence and notes are edited on the claim's own page.
    page.get_by_role("link", name="edit the evidence and notes").click()
    page.wait_for_url(re.compile(r"/admin/profiles/claim/\d+/change/"))
    choose(page, "id_evidence_links-0-evidence", "licence filing")
    page.locator("#id_evidence_links-0-note_en").fill("The licence itself.")
    page.get_by_role("button", name="Add another Evidence link").click()
    choose(page, "id_evidence_links-1-evidence", "second site")
    page.locator("#id_evidence_links-1-note_en").fill("Reported expansion.")
    page.locator("input[name=_save]").first.click()
    page.wait_for_url(profile_url)
    page.screenshot(path=str(artifacts / "admin-profile-draft.png"), full_page=False)

    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(profile_url)
    assert "Moved from “Draft” to “In review”." in page.locator(".messagelist").inner_text()
    assert page.get_by_role("button", name="Publish").count() == 0  # an analyst cannot publish

    # The editor reviews both citations in bulk, then publishes.
    editor_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    editor = editor_context.new_page()
    log_in(editor, desk, "eddie", EDITOR_PASSWORD)
    queue = editor.locator("#review-queue").inner_text()
    assert "Harbour Internet Exchange" in queue and "ana" in queue
    editor.screenshot(path=str(artifacts / "admin-dashboard.png"), full_page=True)
    editor.get_by_role("link", name=re.compile(r"Review all 2 pending sources")).click()
    editor.wait_for_load_state("load")  # the admin's actions script is ready before anything is ticked
    rows = editor.locator("input.action-select")
    assert rows.count() == 2
    for i in range(rows.count()):
        rows.nth(i).check()
    editor.select_option("select[name=action]", "mark_reviewed")
    editor.get_by_role("button", name="Run").click()
    assert "2 sources marked “Reviewed”" in editor.locator(".messagelist").inner_text()

    editor.goto(profile_url)
    confidence = editor.locator("fieldset", has_text="Explanation").first.inner_text()
    assert f"rounds to {score}" in confidence and f"{grade} — {label}" in confidence
    editor.get_by_role("button", name="Publish").click()
    editor.wait_for_url(profile_url)
    assert "Moved from “In review” to “Published”." in editor.locator(".messagelist").inner_text()
    assert "In review → Published" in editor.locator("fieldset", has_text="Workflow moves").inner_text()
    editor_context.close()

    # Anyone can now read it, with the grade the methodology predicts.
    reader_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    reader = reader_context.new_page()
    reader.goto(f"{desk}/en/profiles/{SLUG}/")
    assert reader.locator("h1").inner_text() == "Harbour Internet Exchange"
    assert reader.locator(".badge-grade").inner_text() == grade
    assert reader.locator(".badge-text").inner_text() == f"{label} · {score}"
    claim = reader.locator("#domain .claim").first.inner_text()
    assert "Harbour IX holds a national exchange operator licence." in claim and f"{grade} · {score}" in claim
    assert "Harbour IX licence filing" in reader.locator("#sources").inner_text()
    assert "Public profile updated" in reader.locator("#timeline").inner_text()
    reader.screenshot(path=str(artifacts / "admin-published-profile.png"), full_page=False)
    reader_context.close()
