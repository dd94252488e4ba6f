"""POST /api/v1/profiles/import: the interchange import, over HTTP.

The body is what `manage.py import_profiles` reads — one `registry-profile/1`
object, a JSON array of them, or JSON Lines — and it goes through the same
`interchange` steps: read, validate every document (every error with its place),
then apply all or nothing. `?dry_run=1` validates and reports without writing.

One more rule than the command: the caller's role. Without the publish
permission, a document may not publish, archive or unpublish a profile (that is
the workflow's, `publishing`), so such documents are refused with their places.
"""

import io

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import parsers, status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response

from profiles.interchange import service, writer
from profiles.services import publishing
from profiles.models import Profile, ProfileStatus
from profiles.api.errors import Denied, ImportInProgress, Invalid
from profiles.api.schema import IMPORT_BODY, ImportReportSerializer
from profiles.api.views import ApiView

GATED_STATUSES = (ProfileStatus.PUBLISHED, ProfileStatus.ARCHIVED)
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


def status_refusals(statuses, actor):
    """Documents that would move a profile in or out of publication, for an actor who may not.

    `statuses` are (place, slug, status) of each document, as `PreparedImport` keeps them.
    """
    if actor.has_perm(publishing.PUBLISH_PERMISSION):
        return []
    stored = {}
    slugs = [slug for _place, slug, _status in statuses]
    for start in range(0, len(slugs), 1000):
        stored.update(Profile.objects.filter(slug__in=slugs[start : start + 1000]).values_list("slug", "status"))
    refusals = []
    for place, slug, status in statuses:
        before = stored.get(slug, ProfileStatus.DRAFT)
        if status != before and (status in GATED_STATUSES or before in GATED_STATUSES):
            refusals.append(
                f"{place}.status: "
                + _("only an editor can change a profile from “%(from)s” to “%(to)s”") % {"from": before, "to": status}
            )
    return refusals


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
            prepared = service.prepare_import(io.StringIO(text), check_raw=nul_places)
        except service.InterchangeError as exc:
            raise self.refused(exc.errors) from None
        try:
            refusals = status_refusals(prepared.statuses, request.user)
            if refusals:
                raise Denied(
                    _("Publishing is an editor's move; nothing was imported."), by_place(refusals), extra={"errors": refusals}
                )
            report = writer.apply_import(prepared, dry_run=dry_run)
        except service.ImportBusy as exc:
            raise ImportInProgress() from None
        except service.InterchangeError as exc:
            raise self.refused(exc.errors) from None
        finally:
            prepared.close()
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
