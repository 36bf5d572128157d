"""The OpenAPI document, the offline interactive docs, and JSON for unknown paths."""

import re

from django.test import Client

from tests.api.helpers import assert_error

PATHS = {
    "/api/v1/exports/accounts": {"get"},
    "/api/v1/exports/contacts": {"get"},
    "/api/v1/exports/timeline": {"get"},
    "/api/v1/accounts": {"get"},
    "/api/v1/accounts/{account_id}": {"get"},
    "/api/v1/accounts/{account_id}/timeline": {"get"},
    "/api/v1/accounts/{account_id}/notes": {"post"},
    "/api/v1/contacts": {"get"},
    "/api/v1/threads/{thread_id}": {"get"},
    "/api/v1/messages/{message_id}": {"get"},
    "/api/v1/messages/{message_id}/raw": {"get"},
    "/api/v1/search": {"get"},
}


def test_openapi_document_lists_every_path(db):
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "Keyou API"
    assert {path: set(ops) for path, ops in doc["paths"].items()} == PATHS
    assert doc["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    timeline = doc["paths"]["/api/v1/accounts/{account_id}/timeline"]["get"]
    ok = timeline["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    entry = doc["components"]["schemas"]["TimelineEntryOut"]["properties"]
    assert ok.endswith("/TimelinePage") and "from" in entry
    assert "ErrorOut" in doc["components"]["schemas"]
    limit = next(
        p for p in doc["paths"]["/api/v1/accounts"]["get"]["parameters"] if p["name"] == "limit"
    )
    assert limit["schema"]["maximum"] == 200


def test_docs_render_without_anything_from_outside(db):
    response = Client().get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", html)
    assert urls, html
    for url in urls:
        assert not re.match(r"^(https?:)?//", url), url
        assert "cdn" not in url.lower(), url
    assert "validator.swagger.io" not in html
    assert '"validatorUrl": null' in html


def test_docs_assets_are_served_by_us(db):
    html = Client().get("/api/v1/docs").content.decode()
    for url in re.findall(r"""src\s*=\s*["']([^"']+)""", html):
        response = Client().get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 100


def test_unknown_api_paths_are_404_json(db, anon_api):
    assert_error(anon_api.get("/nothing-here"), 404, "not_found")
    assert_error(anon_api.get("/"), 404, "not_found")
    assert_error(anon_api.get("/accounts/"), 404, "not_found")
    assert_error(anon_api.post("/nothing-here", {"x": 1}), 404, "not_found")
