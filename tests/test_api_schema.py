"""The OpenAPI document at /api/schema/ and the docs page at /api/docs/ (local assets only)."""

import pytest
import yaml

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]

PATHS = [
    "/api/v1/", "/api/v1/profiles/", "/api/v1/profiles/import", "/api/v1/profiles/{slug}/",
    "/api/v1/confidence-bands/", "/api/v1/changes/",
] + [f"/api/v1/profiles/{{slug}}/{part}/" for part in ("claims", "evidence", "timeline", "watchpoints", "relationships", "faq")]  # fmt: skip


@pytest.fixture(scope="module")
def schema():
    from django.test import Client

    response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_openapi_3_with_every_endpoint(schema):
    assert schema["openapi"].startswith("3.")
    assert set(PATHS) <= set(schema["paths"])


def test_every_operation_documents_the_error_shape(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for status in ("400", "404", "429"):
                content = operation["responses"][status]["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/Error"}, (path, method, status)


def test_writes_document_412_and_428(schema):
    patch = schema["paths"]["/api/v1/profiles/{slug}/"]["patch"]
    assert {"412", "428"} <= set(patch["responses"])
    assert any(p["name"] == "If-Match" for p in patch["parameters"])


def test_the_detail_schema_has_confidence_and_every_section(schema):
    detail = schema["components"]["schemas"]["ProfileDetail"]["properties"]
    for name in ("confidence", "claims", "evidence", "timeline", "watchpoints", "relationships", "faq", "briefing"):
        assert name in detail


def test_the_token_scheme_is_documented(schema):
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"


def test_the_docs_page_uses_local_assets_only(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "/api/schema/" in script.content.decode()


# --- The representations and their components -------------------------------------------------


def _component(schemas, node):
    """The object component a property refers to (through an array's items or spectacular's allOf), or None."""
    node = node.get("items", node)
    ref = node.get("$ref") or next((item["$ref"] for item in node.get("allOf", ()) if "$ref" in item), None)
    component = schemas[ref.rsplit("/", 1)[1]] if ref else None
    return component if component and "properties" in component else None  # not an enum


def assert_described(schemas, component, value, place):
    """Every key of the value is a property of its component and every property a key, at every level."""
    assert set(value) == set(component["properties"]), place
    for key, item in value.items():
        nested = _component(schemas, component["properties"][key])
        if nested is None or item is None:
            continue
        for i, element in enumerate(item if isinstance(item, list) else [item]):
            assert_described(schemas, nested, element, f"{place}.{key}[{i}]")


@pytest.fixture
def full_seed(seed_document):
    """The seed profile with a relationship and a retracted claim: every optional object is present somewhere."""
    import json

    from django.utils import timezone

    from profiles.interchange.service import import_text
    from profiles.models import Claim, Profile
    from profiles.services.band_table import ensure_band_table
    from tests.factories import ProfileFactory, RelationshipFactory

    ensure_band_table()
    import_text(json.dumps(seed_document))
    profile = Profile.objects.get(slug=seed_document["slug"])
    Claim.objects.filter(pk=profile.claims.first().pk).update(retracted_at=timezone.now(), retraction_reason="Wrong.")
    RelationshipFactory(source=profile, target=ProfileFactory())
    return profile


@pytest.mark.parametrize("lang", ["en", "all"])
def test_every_key_of_the_responses_is_described_by_its_component(schema, full_seed, lang):
    from tests.api_support import API, token_client

    staff, _user = token_client("analyst")  # staff see every part, the briefing and the explanation's claims
    schemas = schema["components"]["schemas"]

    def read(path):
        response = staff.get(f"{API}/{path}", {"lang": lang})
        assert response.status_code == 200, (path, response.content)
        return response.json()

    detail = read(f"profiles/{full_seed.slug}/")
    assert detail["briefing"] and any(claim["retraction"] for claim in detail["claims"])
    assert_described(schemas, schemas["ProfileDetail"], detail, "detail")
    assert_described(schemas, schemas["ProfilePage"], read("profiles/"), "list")
    assert_described(schemas, schemas["ChangesPage"], read("changes/"), "changes")
    assert_described(schemas, schemas["ConfidenceBandList"], read("confidence-bands/"), "bands")
    lists = {"claims": "ClaimsList", "evidence": "EvidenceList", "timeline": "TimelineList",
             "watchpoints": "WatchpointsList", "relationships": "RelationshipsList", "faq": "FaqList"}  # fmt: skip
    for part, component in lists.items():
        listing = read(f"profiles/{full_seed.slug}/{part}/")
        assert listing["results"], part
        assert_described(schemas, schemas[component], listing, part)


def test_a_shape_refuses_what_it_could_not_compile():
    from profiles.api.shapes import Computed, Shape, String

    with pytest.raises(ValueError, match="twice"):
        Shape("Twice", [String("slug"), String("slug")])
    with pytest.raises(ValueError, match="attribute path"):
        String("slug", "evidence.url)")
    with pytest.raises(ValueError, match="method path"):
        Computed("grade", "grade()")


def test_a_shape_builds_what_its_component_describes():
    from types import SimpleNamespace

    from profiles.api.shapes import Boolean, Date, Integer, Many, Nested, Shape, String, Strings

    item = Shape("ItemForTest", [Integer("id"), String("kind", "record.kind", blank_as_null=True)])
    shape = Shape(
        "ThingForTest",
        [
            Boolean("ok"), Date("on", null=True), Strings("names", "tags", each="name"),
            Nested("first", item, "maybe", null=True), Nested("only_if", item, "one", when="flag"), Many("items", item),
        ],
    )  # fmt: skip
    record = SimpleNamespace(kind="")
    one = SimpleNamespace(id=1, record=SimpleNamespace(kind="direct"))
    thing = SimpleNamespace(
        ok=1, on=None, tags=[SimpleNamespace(name="dns")], maybe=None, one=one, flag=False,
        items=[one, SimpleNamespace(id=2, record=record)],
    )  # fmt: skip
    assert shape.build(thing, r=None) == {
        "ok": True, "on": None, "names": ["dns"], "first": None, "only_if": None,
        "items": [{"id": 1, "kind": "direct"}, {"id": 2, "kind": None}],
    }  # fmt: skip
    assert list(shape.serializer().fields) == [field.name for field in shape.fields]
