"""POST /api/v1/profiles/import: the command's validation, all or nothing, error places, dry run, roles."""

import copy
import json

import pytest

from profiles.models import Profile, ProfileChange, ProfileStatus, ProfileTransition
from profiles.services.publishing import transition
from tests.api_support import API, error_of, token_client
from tests.conftest import SEED_SLUG
from tests.factories import ProfileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits", "band_table")]
URL = f"{API}/profiles/import"


def post(client, payload, *, content_type="application/json", query=""):
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload, ensure_ascii=False)
    return client.generic("POST", URL + query, body, content_type=content_type)


def draft_of(document, slug):
    return dict(copy.deepcopy(document), slug=slug, status="draft", relationships=[])


def test_an_analyst_imports_a_document_and_gets_a_report(analyst_api, seed_document):
    document = draft_of(seed_document, "imported")
    response = post(analyst_api, document)
    assert response.status_code == 200, response.content
    assert response.json() == {"dry_run": False, "created": ["imported"], "updated": [], "unchanged": [],
                               "summary": "1 profiles read: 1 were created, 0 were updated, 0 unchanged."}  # fmt: skip
    assert Profile.objects.get(slug="imported").claims.count() == len(seed_document["claims"])
    again = post(analyst_api, document).json()
    assert again["unchanged"] == ["imported"]


def test_a_list_with_one_bad_document_imports_nothing_and_reports_every_error_with_its_place(analyst_api, seed_document):
    good = draft_of(seed_document, "good-one")
    bad = draft_of(seed_document, "bad-one")
    bad["claims"][0]["evidence"][0]["key"] = "e9"
    bad["kind"] = "animal"
    changes = ProfileChange.objects.count()
    response = post(analyst_api, [good, bad])
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_import"
    assert error["fields"]["profiles[1].claims[0].evidence[0]"] == ['unknown evidence key "e9"']
    assert "profiles[1].kind" in error["fields"]
    assert len(error["errors"]) == 2 and error["errors"][0].startswith("profiles[1].")
    assert not Profile.objects.filter(slug__in=["good-one", "bad-one"]).exists()
    assert ProfileChange.objects.count() == changes


def test_dry_run_reports_and_writes_nothing(analyst_api, seed_document):
    response = post(analyst_api, draft_of(seed_document, "trial"), query="?dry_run=1")
    assert response.status_code == 200
    assert response.json()["dry_run"] is True and response.json()["created"] == ["trial"]
    assert not Profile.objects.filter(slug="trial").exists()


def test_json_lines_are_accepted_as_by_the_command(analyst_api, seed_document):
    lines = "\n".join(json.dumps(draft_of(seed_document, slug)) for slug in ("line-one", "line-two"))
    response = post(analyst_api, lines, content_type="application/x-ndjson")
    assert response.status_code == 200, response.content
    assert sorted(response.json()["created"]) == ["line-one", "line-two"]


@pytest.mark.parametrize(
    "body,place",
    [("", "file"), ("{not json", "file"), ("[1]", "profiles[0]"), ('{"format": "other"}', "profiles[0].format")],
)
def test_unreadable_bodies_are_400_with_places(analyst_api, body, place):
    response = post(analyst_api, body)
    assert response.status_code == 400
    assert place in error_of(response)["fields"]


def test_an_analyst_may_not_publish_by_import(analyst_api, seed_document):
    response = post(analyst_api, dict(copy.deepcopy(seed_document), relationships=[]))  # status "published"
    assert response.status_code == 403
    error = error_of(response)
    assert "profiles[0].status" in error["fields"]
    assert not Profile.objects.filter(slug=SEED_SLUG).exists()


def test_an_analyst_may_not_unpublish_by_import_but_may_update_a_published_profile(analyst_api, seed_document):
    ProfileFactory(slug="live", status=ProfileStatus.PUBLISHED)
    assert post(analyst_api, draft_of(seed_document, "live")).status_code == 403
    document = dict(draft_of(seed_document, "live"), status="published")
    assert post(analyst_api, document).status_code == 200


@pytest.mark.parametrize("role", ["analyst", "editor"])
def test_no_one_publishes_by_import_not_even_an_editor(request, role, seed_document):
    caller = request.getfixturevalue(f"{role}_api")
    changes, transitions = ProfileChange.objects.count(), ProfileTransition.objects.count()
    response = post(caller, dict(copy.deepcopy(seed_document), relationships=[]))  # status "published"
    assert response.status_code == 403
    error = error_of(response)
    assert error["fields"]["profiles[0].status"] == [
        "an import never moves a profile through the workflow (stored “draft”, asked “published”); "
        "use the workflow to submit, publish or archive it"
    ]
    assert not Profile.objects.filter(slug=SEED_SLUG).exists()
    assert (ProfileChange.objects.count(), ProfileTransition.objects.count()) == (changes, transitions)


def test_an_editor_cannot_publish_their_own_submission_by_import(seed_document):
    """The hole: an editor's own in-review profile went live through an import, with no record."""
    editor_api, user = token_client("editor")
    profile = ProfileFactory(slug="own-work", status=ProfileStatus.DRAFT)
    transition(profile, ProfileStatus.IN_REVIEW, actor=user)
    response = post(editor_api, dict(draft_of(seed_document, "own-work"), status="published"))
    assert response.status_code == 403
    profile.refresh_from_db()
    assert profile.status == ProfileStatus.IN_REVIEW and profile.published_at is None
    assert not profile.transitions.filter(to_status=ProfileStatus.PUBLISHED).exists()


def test_an_analyst_cannot_move_an_in_review_profile_back_to_draft_by_import(analyst_api, seed_document):
    ProfileFactory(slug="in-review", status=ProfileStatus.IN_REVIEW)
    response = post(analyst_api, draft_of(seed_document, "in-review"))  # status "draft"
    assert response.status_code == 403
    assert "profiles[0].status" in error_of(response)["fields"]
    assert Profile.objects.get(slug="in-review").status == ProfileStatus.IN_REVIEW


def test_an_import_keeping_the_stored_status_updates_content_and_leaves_the_workflow_alone(analyst_api, seed_document):
    ProfileFactory(slug="reviewing", status=ProfileStatus.IN_REVIEW)
    document = dict(draft_of(seed_document, "reviewing"), status="in_review")
    response = post(analyst_api, document)
    assert response.status_code == 200, response.content
    profile = Profile.objects.get(slug="reviewing")
    assert profile.status == ProfileStatus.IN_REVIEW and not profile.transitions.exists()
    assert profile.claims.count() == len(seed_document["claims"])


def test_import_needs_a_staff_token(anonymous_api, seed_document):
    assert post(anonymous_api, draft_of(seed_document, "x")).status_code == 401


def test_a_bad_dry_run_value_is_400(analyst_api, seed_document):
    response = post(analyst_api, draft_of(seed_document, "x"), query="?dry_run=maybe")
    assert response.status_code == 400 and "dry_run" in error_of(response)["fields"]


def test_a_body_that_is_not_utf8_is_400(analyst_api):
    response = post(analyst_api, b"\xff\xfe{}")
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_nul_characters_in_a_document_are_refused_not_a_server_error(analyst_api, seed_document):
    document = draft_of(seed_document, "nul-inside")
    document["region"] = "Glo\u0000bal"
    document["relationships"] = [{"target": "nul\u0000target"}]
    response = post(analyst_api, document)
    assert response.status_code == 400
    assert not Profile.objects.filter(slug="nul-inside").exists()


def test_interchange_refuses_a_relationship_target_with_nul_without_a_database_error():
    from profiles.interchange.errors import InterchangeError
    from profiles.interchange.service import import_text

    document = {"format": "registry-profile/1", "slug": "x", "kind": "topic", "name": "X",
                "relationships": [{"target": "a\u0000b"}]}  # fmt: skip
    with pytest.raises(InterchangeError):
        import_text(json.dumps(document))
