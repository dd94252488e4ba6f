"""POST /api/v1/profiles/import: the interchange import, over HTTP.

The body is what `manage.py import_profiles` reads — one `registry-profile/1`
object, a JSON array of them, or JSON Lines — and it goes through the same
`interchange` steps: read, validate every document (every error with its place),
then apply all or nothing. `?dry_run=1` validates and reports without writing.

One rule differs from the operator's command: an import over the API never moves a
status (that is the workflow's, `services.publishing`). A document asking for another
status than the stored one — a new profile's is draft — is refused with a 403 naming
each place, and nothing is written.
"""

import io

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import parsers, status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response

from profiles.api.errors import Denied, ImportInProgress, Invalid
from profiles.api.schema import IMPORT_BODY, ImportReportSerializer
from profiles.api.views import ApiView
from profiles.interchange import errors, service

DRY_RUN_VALUES = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False, "": False}


class InterchangeTextParser(parsers.BaseParser):
    """The body as text (UTF-8): JSON or JSON Lines, read by `service.prepare_import`."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError(_("The body is not UTF-8 text.")) from None


class JsonLinesParser(InterchangeTextParser):
    media_type = "application/x-ndjson"


class JsonLinesAltParser(InterchangeTextParser):
    media_type = "application/jsonl"


def by_place(errors):
    """Interchange errors ("profiles[0].slug: message") as {place: [messages]}."""
    fields = {}
    for error in errors:
        place, _sep, message = error.partition(": ")
        fields.setdefault(place, []).append(message or place)
    return fields


def nul_places(value, place):
    """Places of strings holding a NUL character, which PostgreSQL cannot store or even compare.

    A document holding one is refused before it is validated, with the place of each.
    """
    if isinstance(value, str):
        return [f"{place}: contains a NUL character"] if "\x00" in value else []
    if isinstance(value, dict):
        return [error for key, item in value.items() for error in nul_places(item, f"{place}.{key}")]
    if isinstance(value, list):
        return [error for i, item in enumerate(value) for error in nul_places(item, f"{place}[{i}]")]
    return []


class ImportView(ApiView):
    """POST: import interchange documents (all or nothing); `?dry_run=1` only reports."""

    parser_classes = [InterchangeTextParser, JsonLinesParser, JsonLinesAltParser]
    write_permissions = {"POST": ("profiles.add_profile", "profiles.change_profile")}

    @extend_schema(
        operation_id="profiles_import",
        request={"application/json": IMPORT_BODY, "application/x-ndjson": {"type": "string"}},
        responses=ImportReportSerializer,
        parameters=[OpenApiParameter("dry_run", str, enum=["0", "1"], description="1: validate and report only.")],
    )
    def post(self, request):
        dry_run = DRY_RUN_VALUES.get(request.query_params.get("dry_run", "").lower())
        if dry_run is None:
            raise Invalid(_("Some query parameters are not valid."), {"dry_run": [_("Use 1 or 0.")]})
        text = request.data if isinstance(request.data, str) else ""
        try:
            report = service.import_stream(io.StringIO(text), dry_run=dry_run, operator=False, check_raw=nul_places)
        except errors.ImportBusy:
            raise ImportInProgress() from None
        except errors.StatusRefused as exc:
            raise Denied(
                _("An import never moves a profile through the workflow; nothing was imported."),
                by_place(exc.errors), extra={"errors": exc.errors},
            ) from None
        except errors.InterchangeError as exc:
            raise self.refused(exc.errors) from None
        body = {
            "dry_run": report.dry_run,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "summary": report.summary(),
        }
        return Response(body, status=status.HTTP_200_OK)

    def refused(self, errors):
        count = len(errors)
        message = _("%(n)s error(s); nothing was imported.") % {"n": count}
        return Invalid(message, by_place(errors), code="invalid_import", extra={"errors": errors})
