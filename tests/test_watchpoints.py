"""Watchpoints over time: expiry, the daily command, and triggering with evidence."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from profiles.models import Profile, ProfileChange, TimelineEvent, TimelineKind, Visibility, WatchpointStatus
from profiles.services.watchpoints import WatchpointError, check_watchpoints, trigger_watchpoint
from tests.admin_client import change_url
from tests.factories import EvidenceFactory, ProfileFactory, WatchpointFactory, user_with_role

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)


def status(watchpoint):
    watchpoint.refresh_from_db()
    return watchpoint.status


def test_open_watchpoints_past_their_review_by_date_expire():
    past = WatchpointFactory(review_by=TODAY - timedelta(days=1))
    today = WatchpointFactory(review_by=TODAY)
    resolved = WatchpointFactory(review_by=TODAY - timedelta(days=5), status=WatchpointStatus.RESOLVED)
    undated = WatchpointFactory(review_by=None)
    result = check_watchpoints(today=TODAY)
    assert [w.pk for w in result.expired] == [past.pk]
    assert (status(past), status(today), status(resolved), status(undated)) == ("expired", "open", "resolved", "open")


def test_expiry_is_an_edit_of_the_profile():
    watchpoint = WatchpointFactory(review_by=TODAY - timedelta(days=1))
    version = watchpoint.profile.version
    changes = ProfileChange.objects.count()
    check_watchpoints(today=TODAY)
    assert Profile.objects.get(pk=watchpoint.profile_id).version > version
    assert ProfileChange.objects.count() == changes + 1


def test_the_check_lists_watchpoints_due_within_the_window():
    due = WatchpointFactory(review_by=TODAY + timedelta(days=3))
    today = WatchpointFactory(review_by=TODAY)
    WatchpointFactory(review_by=TODAY + timedelta(days=30))
    result = check_watchpoints(today=TODAY, due_within_days=7)
    assert [w.pk for w in result.due] == [today.pk, due.pk]


def test_checking_twice_expires_nothing_more():
    WatchpointFactory(review_by=TODAY - timedelta(days=1))
    check_watchpoints(today=TODAY)
    assert check_watchpoints(today=TODAY).expired == []


def test_the_command_marks_expired_watchpoints_and_lists_what_is_due():
    profile = ProfileFactory(slug="exchange")
    WatchpointFactory(profile=profile, text_en="Annual report filed", review_by=TODAY - timedelta(days=2))
    WatchpointFactory(profile=profile, text_en="Licence renewal", review_by=TODAY + timedelta(days=5))
    out = StringIO()
    call_command("check_watchpoints", "--today", TODAY.isoformat(), stdout=out)
    text = out.getvalue()
    assert "Expired 1 watchpoint(s)." in text
    assert "expired  exchange: Annual report filed (review by 2026-11-23)" in text
    assert "Due within 14 day(s): 1." in text
    assert "due      exchange: Licence renewal (review by 2026-11-30)" in text


def test_the_command_refuses_a_bad_date():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("check_watchpoints", "--today", "tomorrow", stdout=StringIO())


def test_triggering_a_watchpoint_records_the_evidence_and_adds_a_timeline_event():
    watchpoint = WatchpointFactory(kind="regulatory", text_en="Licence review", text_zh_hans="许可审查",
                                   visibility=Visibility.MEMBERS)  # fmt: skip
    evidence = EvidenceFactory(published_on=TODAY)
    analyst = user_with_role("analyst")
    version = watchpoint.profile.version
    event = trigger_watchpoint(watchpoint, evidence, analyst)
    assert status(watchpoint) == WatchpointStatus.TRIGGERED
    assert list(watchpoint.triggered_by.all()) == [evidence]
    assert (event.date, event.kind, event.visibility) == (TODAY, TimelineKind.REGULATORY, Visibility.MEMBERS)
    assert (event.title_en, event.text_en, event.text_zh_hans) == ("Watchpoint triggered", "Licence review", "许可审查")
    assert list(event.evidence.all()) == [evidence]
    assert Profile.objects.get(pk=watchpoint.profile_id).version > version


def test_a_resolved_watchpoint_cannot_be_triggered():
    watchpoint = WatchpointFactory(status=WatchpointStatus.RESOLVED)
    with pytest.raises(WatchpointError):
        trigger_watchpoint(watchpoint, EvidenceFactory(), user_with_role("analyst"))
    assert not TimelineEvent.objects.exists()


def test_an_analyst_triggers_a_watchpoint_from_the_admin(client):
    watchpoint = WatchpointFactory(text_en="Cable repair")
    evidence = EvidenceFactory(title_en="Repair notice")
    client.force_login(user_with_role("analyst"))
    url = f"/admin/profiles/watchpoint/{watchpoint.pk}/trigger/"
    page = client.get(url)
    assert page.status_code == 200 and "Cable repair" in page.content.decode()
    assert url in client.get(change_url(watchpoint.profile)).content.decode()  # linked from the profile
    response = client.post(url, {"evidence": evidence.pk, "note_en": "Confirmed by the operator."})
    assert response.status_code == 302 and response["Location"] == change_url(watchpoint.profile)
    assert status(watchpoint) == WatchpointStatus.TRIGGERED
    event = TimelineEvent.objects.get(profile=watchpoint.profile)
    assert event.text_en == "Cable repair Confirmed by the operator."


def test_triggering_needs_evidence(client):
    watchpoint = WatchpointFactory()
    client.force_login(user_with_role("analyst"))
    response = client.post(f"/admin/profiles/watchpoint/{watchpoint.pk}/trigger/", {"evidence": ""})
    assert response.status_code == 200 and response.context["form"].errors["evidence"]
    assert status(watchpoint) == WatchpointStatus.OPEN


def test_triggering_is_not_offered_as_a_plain_status_choice(client):
    watchpoint = WatchpointFactory()
    client.force_login(user_with_role("analyst"))
    form = client.get(f"/admin/profiles/watchpoint/{watchpoint.pk}/change/").context["adminform"].form
    assert "triggered" not in [value for value, _label in form.fields["status"].choices]
