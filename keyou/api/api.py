"""API v1: the NinjaAPI, its routers, and JSON answers even outside any operation.

Mounted at /api/v1/ by keyou/urls.py. The OpenAPI document is at
/api/v1/openapi.json and the interactive docs at /api/v1/docs; the docs load
Swagger UI from django-ninja's own static files (the "ninja" app), never a CDN.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, re_path
from ninja import NinjaAPI, Swagger

from keyou.api.auth import BearerToken
from keyou.api.errors import error_response, install_error_handlers
from keyou.api.parser import JsonParser
from keyou.api.routers import accounts, contacts, exports, messages, search, threads

DESCRIPTION = """\
Read customer accounts, timelines, contacts, threads and messages, search them,
add notes, and export (CSV or XLSX, with the export capability): everything the
token's user may see, and nothing else.

Authenticate with `Authorization: Bearer <token>`; create a token with
`keyou token create --user NAME`. Lists page with an opaque `cursor`
(`next_cursor` of the previous page) and `limit` (1 to 200). Every error is
`{"error": {"code": ..., "message": ...}}`; records you may not see are 404,
like records that do not exist. Times are ISO 8601 in UTC.
"""


def _no_such_endpoint(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return error_response(404, "not_found", f"no API endpoint at {request.path}")


_no_such_endpoint.csrf_exempt = True  # type: ignore[attr-defined]


def _json_method_not_allowed(view):
    """Wrap a ninja path view so that a wrong HTTP method answers in the error shape."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            allowed = response.get("Allow", "")
            answer = error_response(
                405, "method_not_allowed", f"{request.method} is not allowed here; use {allowed}"
            )
            answer["Allow"] = allowed
            return answer
        return response

    return wrapper


class KeyouAPI(NinjaAPI):
    """NinjaAPI whose unknown paths and wrong methods also answer in the error shape."""

    def _get_urls(self) -> list:
        urls = []
        for pattern in super()._get_urls():
            if isinstance(pattern, URLPattern) and pattern.name == "api-root":
                continue  # replaced below: ninja's root raises an HTML 404
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_method_not_allowed(pattern.callback)
            urls.append(pattern)
        urls.append(path("", _no_such_endpoint, name="api-root"))
        urls.append(re_path(r"^.*$", _no_such_endpoint, name="no-such-endpoint"))
        return urls


api = KeyouAPI(
    title="Keyou API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=BearerToken(),
    parser=JsonParser(),
    # validatorUrl None: Swagger UI would otherwise fetch a badge from validator.swagger.io.
    docs=Swagger(settings={"validatorUrl": None}),
)
install_error_handlers(api)
api.add_router("/accounts", accounts.router)
api.add_router("/contacts", contacts.router)
api.add_router("/threads", threads.router)
api.add_router("/messages", messages.router)
api.add_router("/search", search.router)
api.add_router("/exports", exports.router)
