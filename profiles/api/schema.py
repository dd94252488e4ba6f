"""The OpenAPI document's shared parts: the error shape, envelopes, parameters.

`RegistryAutoSchema` documents, on every operation, the errors any endpoint may
answer (in the one error shape), the ETag header, the 304 of conditional reads
and the 412/428 of conditional writes, so the document matches what the API
sends (CI checks this with schemathesis).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers

ERROR_STATUSES_READ = ("400", "401", "403", "404", "405", "406", "413", "415", "429")
ERROR_STATUSES_WRITE = (*ERROR_STATUSES_READ, "409", "412", "428")


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable, e.g. not_found, invalid, precondition_failed.")
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='Messages by field place, e.g. {"facets.topics[1]": ["…"]}.',
    )
    errors = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Import only: every error, as the command prints it."
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


LANG = OpenApiParameter(
    "lang",
    str,
    enum=["en", "zh-hans", "all"],
    description="Language of texts (default: from Accept-Language). `all` gives each text as "
    '{"en": …, "zh-hans": …}.',
)
IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=False, description="The profile's ETag from a GET (required for PATCH and DELETE)."
)


def results_of(name, item_serializer, **extra_fields):
    return inline_serializer(name, fields={**extra_fields, "results": item_serializer(many=True)})


def part_list_envelope(name, item_serializer):
    return results_of(name, item_serializer, profile=serializers.CharField())


ImportReportSerializer = inline_serializer(
    "ImportReport",
    fields={
        "dry_run": serializers.BooleanField(),
        "created": serializers.ListField(child=serializers.CharField()),
        "updated": serializers.ListField(child=serializers.CharField()),
        "unchanged": serializers.ListField(child=serializers.CharField()),
        "summary": serializers.CharField(),
    },
)

IMPORT_BODY = {
    "oneOf": [
        {"type": "object", "description": "one registry-profile/1 document"},
        {"type": "array", "items": {"type": "object"}, "description": "several documents"},
    ]
}

ROOT = inline_serializer(
    "ApiRoot",
    fields={name: serializers.URLField() for name in ("profiles", "changes", "confidence_bands", "import", "schema", "docs")},
)

class RegistryAutoSchema(AutoSchema):
    """Every operation documents the error shape for each error status it may answer."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        writes = self.method in ("POST", "PATCH", "PUT", "DELETE")
        for code in ERROR_STATUSES_WRITE if writes else ERROR_STATUSES_READ:
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code, direction=direction)
        if self.method == "GET":
            responses.setdefault("304", {"description": "Not modified (If-None-Match named the current ETag)."})
        return responses

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction) or {}
        if str(status_code).startswith("2") and str(status_code) != "204":
            headers.setdefault("ETag", {"schema": {"type": "string"}, "description": "Send as If-None-Match or If-Match."})
        if str(status_code) == "429":
            headers.setdefault("Retry-After", {"schema": {"type": "string"}, "description": "Seconds to wait."})
        return headers


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "profiles.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'An API token: "Token <key>" (python manage.py create_token, or the admin).',
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "profiles.api.authentication.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
