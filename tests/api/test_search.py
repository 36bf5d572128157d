"""/search: full-text search over what the token's user may see."""

import pytest

from tests.api.helpers import assert_error


@pytest.fixture
def indexed(crm):
    from keyou.search.services import search_rebuild

    search_rebuild()
    return crm


def test_search_finds_accounts_contacts_and_messages(indexed, alice_api):
    response = alice_api.get("/search", {"q": "quotation"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["query"] == "quotation"
    subjects = {m["subject"] for m in body["messages"]}
    assert subjects <= {"Quotation request", "Re: Quotation request"} and subjects
    assert all(m["sent_at"].endswith("Z") for m in body["messages"])
    assert "from" in body["messages"][0]

    by_name = alice_api.get("/search", {"q": "acme"}).json()
    assert [a["name"] for a in by_name["accounts"]] == ["acme.co.uk"]


def test_search_finds_chinese_text(indexed, carol_api):
    body = carol_api.get("/search", {"q": "报价"}).json()
    assert [m["subject"] for m in body["messages"]] == ["报价 request"]


def test_outsider_finds_nothing_of_others(indexed, carol_api, alice_api):
    for q in ("quotation", "acme", "buyer"):
        body = carol_api.get("/search", {"q": q}).json()
        assert body["accounts"] == body["contacts"] == body["messages"] == [], q
    assert alice_api.get("/search", {"q": "报价"}).json()["messages"] == []


@pytest.mark.parametrize(
    "params", [{}, {"q": ""}, {"q": "x", "limit": 0}, {"q": "x", "limit": 1000}]
)
def test_bad_search_params_are_422(crm, alice_api, params):
    assert_error(alice_api.get("/search", params), 422, "invalid_params")
