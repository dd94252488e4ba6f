"""The OpenAPI document at /api/schema/ and the docs page at /api/docs/ (local assets only)."""

import pytest
import yaml

from tests.test_api_support import fresh_throttle_counts  # noqa: F401

pytestmark = pytest.mark.django_db

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
