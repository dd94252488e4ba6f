"""One JSON error shape for every 4xx the API answers:

    {"error": {"code": "invalid", "message": "…", "fields": {"name": ["…"]}}}

`code` is stable and machine-readable; `message` is for people; `fields` (present
for validation errors) maps a field's place — `facets.topics[1]`,
`profiles[0].claims[1].evidence[0]` — to its messages.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The profile changed since your copy (If-Match is stale): fetch it again and retry.")
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("Send If-Match with the ETag of your copy of the profile (from GET).")
    default_code = "precondition_required"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


class ImportInProgress(exceptions.APIException):
    """Another import held the registry too long: nothing was written; the client retries."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Another import is in progress; nothing was imported. Try again when it has finished.")
    default_code = "import_in_progress"
    wait = 30  # seconds, sent as Retry-After


class Invalid(exceptions.APIException):
    """A 400 with a message and field errors already in our shape."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, message, fields=None, *, code="invalid", extra=None):
        super().__init__(detail=message, code=code)
        self.fields = fields or {}
        self.extra = extra or {}


class Denied(exceptions.PermissionDenied):
    """A 403 that may carry field errors (e.g. statuses an analyst may not import)."""

    def __init__(self, message, fields=None, *, extra=None):
        super().__init__(detail=message)
        self.fields = fields or {}
        self.extra = extra or {}


def error_body(code, message, fields=None, **extra):
    error = {"code": code, "message": str(message)}
    if fields:
        error["fields"] = {name: [str(m) for m in messages] for name, messages in fields.items()}
    error.update(extra)
    return {"error": error}


def flatten(detail, prefix=""):
    """DRF's nested error detail as {"a.b[0]": ["message"]}."""
    fields = {}
    if isinstance(detail, dict):
        for name, value in detail.items():
            if name == "non_field_errors":
                place = prefix or "non_field_errors"
            else:
                place = f"{prefix}[{name}]" if isinstance(name, int) else (f"{prefix}.{name}" if prefix else str(name))
            fields.update(flatten(value, place))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            if detail:
                fields.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in detail)
        else:
            for i, item in enumerate(detail):
                if item:
                    fields.update(flatten(item, f"{prefix}[{i}]"))
    else:
        fields.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return fields


def _as_api_exception(exc):
    if isinstance(exc, Http404):
        return exceptions.NotFound(_("Not found."))
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent, SuspiciousOperation)):
        return exceptions.ParseError(_("The request could not be read."))
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    return exc


def exception_handler(exc, context):
    """DRF's handler, with every error answered in the one shape."""
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not a client error: let it be a 500 (and get fixed)
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten(exc.detail)
        message = _("Some fields are not valid.")
        if set(fields) == {"non_field_errors"}:
            message = " ".join(fields.pop("non_field_errors"))
        response.data = error_body("invalid", message, fields)
    else:
        if not isinstance(code, str):
            code = getattr(exc, "default_code", "error")
        fields = getattr(exc, "fields", None)
        response.data = error_body(code, exc.detail, fields, **getattr(exc, "extra", {}))
    return response


def not_found(request, *args, **kwargs):
    """Any /api/ path that is not an endpoint."""
    return JsonResponse(
        error_body("not_found", _("There is no API endpoint at this address. See /api/docs/.")), status=404
    )
