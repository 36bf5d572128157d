"""/exports: the caller's customer data as a CSV or XLSX file, watermarked and audited."""

from __future__ import annotations

from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Query, Router

from keyou.api.errors import ErrorOut
from keyou.api.routers.accounts import AccountSort
from keyou.api.routers.common import COMMON_ERRORS
from keyou.audit import exports
from keyou.crm.models import Lifecycle

router = Router(tags=["exports"])

Format = Annotated[
    Literal["csv", "xlsx"],
    Query(alias="format", description="csv (UTF-8 with BOM) or xlsx"),
]
ERRORS = {**COMMON_ERRORS, 403: ErrorOut}
FILE = {
    "responses": {
        200: {
            "description": (
                "the file; its first row (and for xlsx its properties) names the export id, "
                "the user and the time"
            ),
            "content": {
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
                exports.CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
            },
        },
        403: {"description": "your role lacks the export capability (the refusal is audited)"},
    }
}


def _file(request: HttpRequest, kind: str, file_format: str, params: dict) -> HttpResponse:
    result = exports.export_build(request.auth, kind, file_format, params=params, request=request)
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = content_disposition_header(True, result.filename)
    response["Cache-Control"] = "no-store"
    response["X-Keyou-Export"] = str(result.export.pk)
    return response


@router.get(
    "/accounts",
    response={200: None, **ERRORS},
    summary="Export accounts",
    openapi_extra=FILE,
)
def export_accounts(
    request: HttpRequest,
    file_format: Format = "csv",
    q: Annotated[str, Query(max_length=200, description="name, domain or contact")] = "",
    owner: Annotated[int | None, Query(description="the owner's user id")] = None,
    team: Annotated[int | None, Query(description="the team's id")] = None,
    tag: Annotated[str, Query(max_length=80)] = "",
    lifecycle: Lifecycle | None = None,
    country: Annotated[str, Query(max_length=2, description="ISO country code")] = "",
    sort: Annotated[AccountSort, Query(description="'-' puts newest / Z first")] = "-last_contact",
):
    """Return the accounts you may see, narrowed like the accounts list, as one file.

    Needs the export capability; the export is recorded and audited.
    """
    params = {
        "q": q,
        "owner": owner,
        "team": team,
        "tag": tag,
        "lifecycle": lifecycle or "",
        "country": country,
        "sort": sort,
    }
    params = {k: v for k, v in params.items() if v not in (None, "")}
    return _file(request, "accounts", file_format, params)


@router.get(
    "/contacts",
    response={200: None, **ERRORS},
    summary="Export contacts",
    openapi_extra=FILE,
)
def export_contacts(request: HttpRequest, file_format: Format = "csv"):
    """Return the contacts of the accounts you may see as one file (needs the export capability)."""
    return _file(request, "contacts", file_format, {})


@router.get(
    "/timeline",
    response={200: None, **ERRORS},
    summary="Export an account's timeline",
    openapi_extra=FILE,
)
def export_timeline(
    request: HttpRequest,
    account: Annotated[int, Query(ge=1, description="the account's id")],
    file_format: Format = "csv",
):
    """Return one account's timeline as a file; 404 for an account you may not see.

    Without the email-bodies capability the file has no email text (date, kind,
    direction, subject, from and to only). Needs the export capability.
    """
    return _file(request, "timeline", file_format, {"account": account})
