"""The band table in the analyst desk: one table, editors only, saved whole or not at all."""

from decimal import Decimal

import pytest

from profiles.models import ConfidenceBand
from profiles.selectors.bands import current_bands
from tests.factories import ClaimEvidenceFactory, ClaimFactory, EvidenceFactory, user_with_role

pytestmark = pytest.mark.django_db
URL = "/admin/profiles/confidenceband/"


def table_data(client, **changes):
    """The band table's formset as the page shows it, with changes {"bands-0-lower": "0.85", ...}."""
    formset = client.get(URL).context["formset"]
    data = {f"bands-{key}": value for key, value in
            (("TOTAL_FORMS", formset.total_form_count()), ("INITIAL_FORMS", formset.initial_form_count()),
             ("MIN_NUM_FORMS", 0), ("MAX_NUM_FORMS", 1000))}  # fmt: skip
    for form in formset.forms:
        for field in form:
            if field.name != "DELETE" and field.value() is not None:
                data[field.html_name] = str(field.value())
    data.update(changes)
    return data


def stored_table():
    return [(str(b.lower), str(b.upper), b.grade, b.label) for b in current_bands()]


def test_analysts_see_the_band_table_read_only(analyst_client):
    response = analyst_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Only editors can change the band table." in page and "Internal monitoring" in page
    assert "Save the band table" not in page


def test_analysts_cannot_save_the_band_table(analyst_client):
    editor = type(analyst_client)()
    editor.force_login(user_with_role("editor"))
    data = table_data(editor, **{"bands-0-grade": "Z"})
    before = stored_table()
    assert analyst_client.post(URL, data).status_code == 403
    assert stored_table() == before


def test_analysts_cannot_reach_single_band_pages(analyst_client):
    band = ConfidenceBand.objects.first()
    assert analyst_client.get(f"{URL}add/").status_code == 403
    assert analyst_client.get(f"{URL}{band.pk}/change/")["Location"] == URL


def test_an_editor_edits_the_band_table_and_every_score_is_recomputed(editor_client):
    claim = ClaimFactory()
    ClaimEvidenceFactory(claim=claim, evidence=EvidenceFactory(kind="direct", reliability="A"))  # scores 0.80
    data = table_data(editor_client, **{"bands-0-lower": "0.80", "bands-1-upper": "0.79", "bands-0-label_zh_hans": "高"})
    response = editor_client.post(URL, data)
    assert response.status_code == 302
    assert stored_table()[:2] == [("0.80", "1.00", "A", "High"), ("0.75", "0.79", "A/B", "Strong")]
    assert ConfidenceBand.objects.get(grade="A").label_zh_hans == "高"
    claim.refresh_from_db()
    # The cap is now 0.79 (top band's lower bound − 0.01) and a single publisher is capped.
    assert claim.score == Decimal("0.79")


def test_an_editor_adds_and_deletes_rows(editor_client):
    data = table_data(editor_client, **{"bands-5-DELETE": "on", "bands-4-lower": "0.00",
                                        "bands-6-lower": "0.50", "bands-6-upper": "0.54", "bands-6-grade": "C",
                                        "bands-6-label_en": "Middling", "bands-3-lower": "0.35",
                                        "bands-3-upper": "0.49"})  # fmt: skip
    response = editor_client.post(URL, data)
    assert response.status_code == 302, response.context["table_errors"]
    assert [(row[0], row[1], row[2]) for row in stored_table()] == [
        ("0.90", "1.00", "A"), ("0.75", "0.89", "A/B"), ("0.55", "0.74", "B/C"), ("0.50", "0.54", "C"),
        ("0.35", "0.49", "C/D"), ("0.00", "0.34", "D"),
    ]  # fmt: skip


def test_a_table_with_a_gap_is_refused_with_the_gap_named_and_nothing_saved(editor_client):
    before = stored_table()
    response = editor_client.post(URL, table_data(editor_client, **{"bands-0-lower": "0.92"}))
    assert response.status_code == 200
    assert "gap between 0.89 and 0.92: no band covers 0.90–0.91" in response.content.decode()
    assert "The band table was not saved:" in response.content.decode()
    assert stored_table() == before


def test_a_table_with_an_overlap_is_refused_with_the_overlap_named_and_nothing_saved(editor_client):
    before = stored_table()
    response = editor_client.post(URL, table_data(editor_client, **{"bands-1-upper": "0.93"}))
    assert response.status_code == 200
    assert "overlap: 0.75–0.93 (A/B) and 0.90–1.00 (A) both cover 0.90–0.93" in response.content.decode()
    assert stored_table() == before


def test_a_bound_out_of_range_is_refused_next_to_the_field(editor_client):
    before = stored_table()
    response = editor_client.post(URL, table_data(editor_client, **{"bands-0-upper": "1.50"}))
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["upper"]
    assert stored_table() == before
