"""Evidence records in the analyst desk: a save over someone else's later save is refused."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from profiles.models import EvidenceRecord, ReviewStatus
from profiles.services import history
from tests.admin_client import change_form_data, form_errors
from tests.factories import EvidenceFactory, user_with_role

pytestmark = pytest.mark.django_db
URL = "/admin/profiles/evidencerecord/"


def page(record):
    return f"{URL}{record.pk}/change/"


@pytest.fixture
def record():
    return EvidenceFactory(title_en="Annual report", publisher="Registry", review_status=ReviewStatus.PENDING)


@pytest.fixture
def two_analysts(client):
    from django.test import Client

    first, second = client, Client()
    first.force_login(user_with_role("analyst", username="ann"))
    second.force_login(user_with_role("analyst", username="bo"))
    return first, second


def stored(record):
    return EvidenceRecord.objects.values("title_en", "publisher", "review_status").get(pk=record.pk)


def test_a_fresh_save_of_a_source_is_kept(two_analysts, record):
    first, _second = two_analysts
    response = first.post(page(record), change_form_data(first.get(page(record)), publisher="Registry Inc."))
    assert response.status_code == 302, form_errors(response)
    assert stored(record)["publisher"] == "Registry Inc."


def test_a_second_save_from_a_page_opened_before_the_first_is_refused(two_analysts, record):
    first, second = two_analysts
    ann_page, bo_page = first.get(page(record)), second.get(page(record))
    assert second.post(page(record), change_form_data(bo_page, title_en="Annual report 2025")).status_code == 302
    versions_before = history.Version.objects.get_for_object(record).count()

    response = first.post(page(record), change_form_data(ann_page, publisher="Someone else"))

    assert response.status_code == 200
    [error] = response.context["adminform"].form.non_field_errors()
    assert error.startswith("bo saved this source on ") and "Nothing was saved" in error
    assert stored(record) == {"title_en": "Annual report 2025", "publisher": "Registry", "review_status": "pending"}
    assert history.Version.objects.get_for_object(record).count() == versions_before


def test_a_change_made_outside_the_desk_also_refuses_the_stale_save(two_analysts, record):
    first, _second = two_analysts
    opened = first.get(page(record))
    EvidenceRecord.objects.filter(pk=record.pk).update(excerpt_en="Edited by an import.")  # no history, no updated_at
    response = first.post(page(record), change_form_data(opened, publisher="Late"))
    [error] = response.context["adminform"].form.non_field_errors()
    assert error.startswith("Someone else changed this source after you opened it")
    assert stored(record)["publisher"] == "Registry"


def test_a_bulk_review_after_the_page_was_opened_refuses_the_stale_save(two_analysts, record):
    first, second = two_analysts
    opened = first.get(page(record))
    response = second.post(URL, {"action": "mark_reviewed", "_selected_action": [str(record.pk)], "index": 0})
    assert response.status_code == 302
    response = first.post(page(record), change_form_data(opened, publisher="Late"))
    assert "bo saved this source on" in response.context["adminform"].form.non_field_errors()[0]
    assert stored(record) == {"title_en": "Annual report", "publisher": "Registry", "review_status": "reviewed"}


def test_a_save_without_the_fingerprint_is_refused(two_analysts, record):
    first, _second = two_analysts
    response = first.post(page(record), change_form_data(first.get(page(record)), publisher="X", loaded_fingerprint=None))
    assert response.status_code == 200 and response.context["adminform"].form.non_field_errors()
    assert stored(record)["publisher"] == "Registry"


def test_a_source_deleted_meanwhile_is_not_saved_again(record):
    opened = history.evidence_fingerprint(record)
    EvidenceRecord.objects.filter(pk=record.pk).delete()
    with pytest.raises(history.StaleEdit, match="deleted since you opened it"):
        history.lock_evidence(record.pk, opened)
    assert not EvidenceRecord.objects.filter(pk=record.pk).exists()


def test_an_unchanged_source_passes_the_check(record):
    assert history.lock_evidence(record.pk, history.evidence_fingerprint(record)) == record


def test_the_refusal_is_translated(two_analysts, record):
    first, second = two_analysts
    opened = first.get(page(record))
    second.post(page(record), change_form_data(second.get(page(record)), title_en="Newer"))
    response = first.post(page(record), change_form_data(opened, publisher="X"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    [error] = response.context["adminform"].form.non_field_errors()
    assert error.startswith("bo 在") and "未保存任何内容" in error


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite locks the whole database, not rows")
def test_the_check_locks_the_record_row_until_the_save_commits(two_analysts, record):
    first, _second = two_analysts
    opened = first.get(page(record))
    with CaptureQueriesContext(connection) as queries:
        response = first.post(page(record), change_form_data(opened, publisher="Fresh"))
    assert response.status_code == 302
    assert any('FROM "profiles_evidencerecord"' in q["sql"] and "FOR UPDATE" in q["sql"] for q in queries.captured_queries)
