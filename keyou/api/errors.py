"""The API's one error shape, `{"error": {"code": ..., "message": ...}}`, for every failure.

`install_error_handlers(api)` replaces django-ninja's handlers (which answer
`{"detail": ...}`, or an HTML page from Django) so that bad tokens, unknown ids,
bad parameters and bodies, and our own bugs all answer the same JSON.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from keyou.crm.selectors import NotFound
from keyou.crm.services import InvalidChange
from keyou.people.access import NotAllowed

log = logging.getLogger(__name__)

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_params",
    429: "throttled",
}


class ErrorBody(Schema):
    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorOut(Schema):
    """Every 4xx and 5xx answer of the API."""

    error: ErrorBody


class ApiError(Exception):
    """A failure a client can fix, raised by routers: STATUS, a stable CODE and a MESSAGE."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class UnsupportedMediaType(ValueError):
    """A request body that is not JSON by its Content-Type."""


def error_response(
    status: int, code: str, message: str, *, details: list[dict[str, Any]] | None = None
) -> HttpResponse:
    """Return the JSON error response with STATUS, CODE and MESSAGE."""
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JsonResponse({"error": body}, status=status, json_dumps_params={"ensure_ascii": False})


def _location(loc: Any) -> str:
    parts = [str(p) for p in loc]
    # ninja puts the source first ("query", "path", "body"); the name is what a client sent.
    if len(parts) > 1 and parts[0] in ("query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts)


def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [
        {"location": _location(e.get("loc", ())), "message": e.get("msg", ""), "type": e["type"]}
        for e in exc.errors
    ]
    message = "; ".join(f"{d['location']}: {d['message']}" for d in details) or "invalid input"
    return error_response(422, "invalid_params", message, details=details)


def _authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    if request.headers.get("Authorization"):
        message = "the API token is invalid or revoked"
        challenge = 'Bearer realm="keyou", error="invalid_token"'
    else:
        message = (
            "send an API token as 'Authorization: Bearer <token>' "
            "(create one with `keyou token create --user NAME`)"
        )
        challenge = 'Bearer realm="keyou"'
    response = error_response(401, "unauthorized", message)
    response["WWW-Authenticate"] = challenge
    return response


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    # ninja wraps every failure to read a body in HttpError(400); say which one it was.
    if isinstance(cause, UnsupportedMediaType):
        return error_response(415, "unsupported_media_type", str(cause))
    if isinstance(cause, RequestDataTooBig):
        return error_response(413, "too_large", "the request body is too large")
    if isinstance(cause, json.JSONDecodeError | UnicodeDecodeError):
        return error_response(400, "bad_json", f"the request body is not valid JSON: {cause}")
    status = exc.status_code
    return error_response(status, STATUS_CODES.get(status, "error"), exc.message)


def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(exc.status, exc.code, exc.message)


def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    # NotFound says the same for missing and out-of-scope rows, so its text is safe to show.
    message = str(exc) if isinstance(exc, NotFound) else "not found"
    return error_response(404, "not_found", message)


def _not_allowed(request: HttpRequest, exc: NotAllowed) -> HttpResponse:
    # Only for what the caller may already see: unseen records are NotFound (404) first.
    return error_response(
        403, "forbidden", f"your role does not allow this (it needs the {str(exc)!r} capability)"
    )


def _invalid_change(request: HttpRequest, exc: InvalidChange) -> HttpResponse:
    return error_response(400, "invalid", str(exc))


def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", "something went wrong on our side; it is logged")


def install_error_handlers(api: NinjaAPI) -> None:
    """Make every failure inside API operations answer with the one error shape."""
    api.add_exception_handler(ValidationError, _validation)
    api.add_exception_handler(AuthenticationError, _authentication)
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(ApiError, _api_error)
    api.add_exception_handler(NotFound, _not_found)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(InvalidChange, _invalid_change)
    api.add_exception_handler(NotAllowed, _not_allowed)
    api.add_exception_handler(Exception, _unexpected)
