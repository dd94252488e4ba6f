"""One JSON error shape for every client error, and never a 5xx for bad input."""

import json

import pytest

from profiles.services.band_table import ensure_band_table
from tests.api_support import API, error_of
from tests.factories import ProfileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]


@pytest.fixture(autouse=True)
def registry():
    ensure_band_table()
    ProfileFactory(slug="known")


@pytest.mark.parametrize(
    "path", ["/api/nothing", "/api/v1/nothing/", "/api/v1/profiles/unknown/", "/api/v1/profiles/known/timeline/123/",
             "/api/v1/profiles/known/timeline/99999999999999999999999/", "/api/v1/profiles/known/nothing/",
             "/api/v1/profiles", "/api/v1/profiles/%00/", "/api/v1/profiles/" + "a" * 5000 + "/"],
)  # fmt: skip
def test_unknown_addresses_are_json_404s(anonymous_api, path):
    response = anonymous_api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert error_of(response)["code"] == "not_found"


def test_a_method_an_endpoint_lacks_is_a_405(anonymous_api, analyst_api):
    for client in (anonymous_api, analyst_api):
        response = client.put(f"{API}/profiles/known/", {}, format="json")
        assert response.status_code == 405
        assert error_of(response)["code"] == "method_not_allowed"
    assert analyst_api.delete(f"{API}/confidence-bands/").status_code == 405


def test_a_body_that_is_not_json_is_a_415(analyst_api):
    response = analyst_api.post(f"{API}/profiles/", "slug=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_an_unacceptable_accept_header_is_a_406_in_json(anonymous_api):
    response = anonymous_api.get(f"{API}/profiles/", HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert error_of(response)["code"] == "not_acceptable"


def test_a_body_over_the_size_limit_is_a_413(analyst_api, settings):
    settings.API_MAX_REQUEST_BYTES = 1000
    response = analyst_api.post(f"{API}/profiles/import", json.dumps({"x": "y" * 2000}), content_type="application/json")
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"


@pytest.mark.parametrize(
    "body",
    ['{"slug": ', "[1, 2", "nul\u0000", '{"slug": "a", "slug": 1e999999}', "9" * 5000, "\ufeff{}", "null", "[]", '"text"'],
)
def test_malformed_or_wrong_json_is_a_400(analyst_api, body):
    response = analyst_api.post(f"{API}/profiles/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] in {"parse_error", "invalid"}


@pytest.mark.parametrize(
    "payload",
    [
        {"slug": "ok", "kind": "topic", "name": "N\u0000ul"},
        {"slug": "ok", "kind": "topic", "name": {"en": ["list"]}},
        {"slug": "ok", "kind": "topic", "name": "N", "region": "\u0000"},
        {"slug": "ok", "kind": "topic", "name": "N", "aliases": ["a\u0000"]},
        {"slug": "ok", "kind": "topic", "name": "N", "score_override": {"score": 10**400, "reason": "r"}},
        {"slug": "ok", "kind": "topic", "name": "N", "score_override": {"score": "1e999999999", "reason": "r"}},
        {"slug": "ok", "kind": "topic", "name": "N", "score_override": {"score": True, "reason": "r"}},
        {"slug": "ok", "kind": "topic", "name": "N", "score_override": "0.5"},
        {"slug": "ok", "kind": "topic", "name": "N", "facets": {"topics": [None]}},
        {"slug": "ok", "kind": {"x": 1}, "name": "N"},
        {"slug": ["x"], "kind": "topic", "name": "N"},
    ],
)
def test_wrong_types_huge_numbers_and_nul_characters_are_400s(analyst_api, payload):
    response = analyst_api.post(f"{API}/profiles/", payload, format="json")
    assert response.status_code == 400, response.content
    assert error_of(response)["fields"]


@pytest.mark.parametrize(
    "part,payload",
    [
        ("claims", {"section": "function", "text": "x", "evidence": [{"evidence": 2**70}]}),
        ("claims", {"section": "function", "text": "x", "evidence": "all"}),
        ("timeline", {"date": "2026-13-45", "title": "x"}),
        ("timeline", {"date": "99999-01-01", "title": "x"}),
        ("timeline", {"date": "2026-01-01", "title": "x", "evidence": [-1]}),
        ("watchpoints", {"text": "x", "review_by": 20260101}),
        ("relationships", {"target": "known\u0000"}),
        ("evidence", {"title": "x", "kind": "direct", "url": "http://[::1"}),
        ("evidence", {"title": "x", "kind": "direct", "published_on": "yesterday"}),
        ("faq", {"question": "x" * 501}),
    ],
)
def test_bad_part_input_is_a_400(analyst_api, part, payload):
    response = analyst_api.post(f"{API}/profiles/known/{part}/", payload, format="json")
    assert response.status_code == 400, response.content


@pytest.mark.parametrize(
    "query",
    ["q=%00", "region=a%00b", "updated_since=2026-02-30", "updated_since=%00", "cursor=%00", "lang=%00",
     "page_size=99999999999999999999", "ordering=%00", "kind=" + "x" * 10000, "q=" + "x" * 10000, "%00=1"],
)  # fmt: skip
def test_bad_query_parameters_are_400s_not_500s(anonymous_api, query):
    response = anonymous_api.get(f"{API}/profiles/?{query}")
    assert response.status_code == 400, response.content
    error_of(response)


@pytest.mark.parametrize("query", ["since=%00", "limit=0", "limit=x", "since=" + "A" * 5000, "lang=xx"])
def test_bad_changes_parameters_are_400s(anonymous_api, query):
    response = anonymous_api.get(f"{API}/changes/?{query}")
    assert response.status_code == 400
    error_of(response)


def test_patch_with_a_list_body_is_a_400_not_a_500(analyst_api):
    etag = analyst_api.get(f"{API}/profiles/known/")["ETag"]
    response = analyst_api.patch(f"{API}/profiles/known/", [1, 2], format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 400
    error_of(response)


def test_validation_errors_name_nested_places(analyst_api):
    response = analyst_api.post(
        f"{API}/profiles/known/claims/",
        {"section": "function", "text": "x", "evidence": [{"evidence": 1}, {"evidence": "one", "stance": "maybe"}]},
        format="json",
    )
    fields = error_of(response)["fields"]
    assert {"evidence[1].evidence", "evidence[1].stance"} <= set(fields)


@pytest.mark.parametrize(
    "path", ["/api/v1/", "/api/v1/profiles/", "/api/v1/profiles/import", "/api/v1/profiles/known/",
             "/api/v1/profiles/known/claims/", "/api/v1/changes/", "/api/v1/confidence-bands/"],
)  # fmt: skip
def test_options_describes_the_endpoint(analyst_api, anonymous_api, path):
    for client in (anonymous_api, analyst_api):
        response = client.options(path)
        assert response.status_code == 200
        assert response.json()["schema"].endswith("/api/schema/")


def test_djangos_request_data_too_big_is_a_413_in_the_one_shape():
    from django.core.exceptions import RequestDataTooBig

    from profiles.api.errors import exception_handler

    response = exception_handler(RequestDataTooBig("too big"), {})
    assert response.status_code == 413
    assert response.data["error"]["code"] == "request_too_large"
