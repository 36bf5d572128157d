"""/accounts: scoped lists with filters and cursors, details, timelines and notes."""

import base64
import json

import pytest

from keyou.crm.models import Note
from tests.api.conftest import EUROPE_DOMAINS
from tests.api.helpers import assert_error

SORTS = ["-last_contact", "last_contact", "name", "-name", "-created", "created"]


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [a["name"] for a in response.json()["items"]]


def walk(api, path: str, params: dict) -> list[dict]:
    """Follow next_cursor from the first page to the last; return every item."""
    items, cursor, pages = [], None, 0
    while True:
        response = api.get(path, {**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.content
        page = response.json()
        assert len(page["items"]) <= params["limit"]
        items += page["items"]
        cursor = page["next_cursor"]
        pages += 1
        assert pages < 100
        if cursor is None:
            return items


# -- lists ---------------------------------------------------------------------------------


def test_list_shows_the_actors_accounts_newest_contact_first(crm, alice_api):
    response = alice_api.get("/accounts")

    body = response.json()
    assert body["next_cursor"] is None
    # Newest inbound first; fjord.no, never heard from, last.
    assert names(response) == ["eagle.nl", "delta.it", "crane.fr", "bolt.de", "acme.co.uk"] + [
        "fjord.no"
    ]
    acme = next(a for a in body["items"] if a["name"] == "acme.co.uk")
    assert acme["domains"] == ["acme.co.uk"]
    assert acme["owner"] == "alice" and acme["team"] == "Europe"
    assert acme["tags"] == ["VIP"] and acme["lifecycle"] == "active"
    assert acme["first_contact_at"] == "2026-03-02T08:30:00Z"
    assert acme["last_inbound_at"] == "2026-03-04T08:30:00Z"
    assert acme["created_at"].endswith("Z")


def test_outsider_lists_only_their_own_team(crm, carol_api):
    assert names(carol_api.get("/accounts")) == ["lotus-asia.cn"]
    assert names(carol_api.get("/accounts", {"q": "acme"})) == []
    assert names(carol_api.get("/accounts", {"owner": "alice"})) == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "bolt"}, ["bolt.de"]),
        ({"q": "BUYER@ACME"}, ["acme.co.uk"]),
        ({"tag": "VIP"}, ["acme.co.uk"]),
        ({"tag": "nobody-uses-this"}, []),
        ({"lifecycle": "active"}, ["acme.co.uk"]),
        ({"owner": "alice", "sort": "name"}, sorted(EUROPE_DOMAINS)),
        ({"owner": "carol"}, []),
        ({"sort": "-name", "limit": 2}, ["fjord.no", "eagle.nl"]),
    ],
)
def test_list_filters(crm, alice_api, params, expected):
    assert names(alice_api.get("/accounts", params)) == expected


def test_unknown_owner_is_a_clear_400(crm, alice_api):
    error = assert_error(alice_api.get("/accounts", {"owner": "nobody"}), 400, "bad_param")
    assert "nobody" in error["message"]


@pytest.mark.parametrize(
    "params", [{"lifecycle": "zombie"}, {"sort": "size"}, {"q": "x" * 201}, {"cursor": "x" * 1001}]
)
def test_bad_list_params_are_422(crm, alice_api, params):
    assert_error(alice_api.get("/accounts", params), 422, "invalid_params")


@pytest.mark.parametrize("limit", ["100000", "201", "-1", "0", "ten", "1.5"])
def test_bad_limits_are_refused_not_clamped(crm, alice_api, limit):
    error = assert_error(alice_api.get("/accounts", {"limit": limit}), 422, "invalid_params")
    assert error["message"].startswith("limit:")
    assert error["details"][0]["location"] == "limit"


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("limit", [1, 2, 4])
def test_cursor_pagination_walks_every_account_exactly_once(crm, alice_api, sort, limit):
    everything = alice_api.get("/accounts", {"sort": sort, "limit": 200}).json()["items"]

    walked = walk(alice_api, "/accounts", {"sort": sort, "limit": limit})

    assert [a["id"] for a in walked] == [a["id"] for a in everything]
    assert len({a["id"] for a in walked}) == len(EUROPE_DOMAINS)


def test_cursor_pagination_keeps_the_filters(crm, alice_api):
    walked = walk(alice_api, "/accounts", {"q": "e.", "sort": "name", "limit": 1})
    assert [a["name"] for a in walked] == ["acme.co.uk", "crane.fr", "eagle.nl"]


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "%%%",
        _b64("not json"),
        _b64("[1, 2]"),
        _b64(json.dumps({"l": "accounts:-last_contact", "v": None})),
        _b64(json.dumps({"l": "accounts:-last_contact", "v": 5, "id": 1})),
        _b64(json.dumps({"l": "accounts:-last_contact", "v": "yesterday", "id": 1})),
        _b64(json.dumps({"l": "accounts:-last_contact", "v": "2026-03-02T08:30:00", "id": 1})),
        _b64(json.dumps({"l": "accounts:-last_contact", "v": None, "id": 10**30})),
        _b64(json.dumps({"l": "accounts:-last_contact", "v": None, "id": "1"})),
        _b64(json.dumps({"l": "timeline:1", "v": "2026-03-02T08:30:00+00:00", "id": 1})),
    ],
)
def test_bad_cursors_are_400(crm, alice_api, cursor):
    error = assert_error(alice_api.get("/accounts", {"cursor": cursor}), 400, "bad_cursor")
    assert "cursor" in error["message"]


def test_a_cursor_of_another_sort_is_refused(crm, alice_api):
    cursor = alice_api.get("/accounts", {"sort": "name", "limit": 1}).json()["next_cursor"]

    assert alice_api.get("/accounts", {"sort": "name", "cursor": cursor}).status_code == 200
    assert_error(alice_api.get("/accounts", {"sort": "-name", "cursor": cursor}), 400, "bad_cursor")


# -- one account -----------------------------------------------------------------------------


def test_account_detail_has_domains_contacts_and_counts(crm, alice_api):
    response = alice_api.get(f"/accounts/{crm['acme'].pk}")

    assert response.status_code == 200
    account = response.json()
    assert account["name"] == "acme.co.uk" and account["domains"] == ["acme.co.uk"]
    assert [(c["name"], c["emails"]) for c in account["contacts"]] == [
        ("Buyer", ["buyer@acme.co.uk"])
    ]
    assert account["counts"] == {
        "contacts": 1,
        "emails": 3,
        "notes": 1,
        "calls": 0,
        "meetings": 0,
        "threads": 1,
    }


def test_outsider_gets_404_never_403(crm, carol_api, alice_api):
    acme, lotus = crm["acme"].pk, crm["lotus"].pk
    hidden = assert_error(carol_api.get(f"/accounts/{acme}"), 404, "not_found")
    missing = assert_error(carol_api.get("/accounts/987654"), 404, "not_found")
    assert hidden["message"].replace(str(acme), "N") == missing["message"].replace("987654", "N")
    assert_error(alice_api.get(f"/accounts/{lotus}"), 404, "not_found")
    assert_error(carol_api.get(f"/accounts/{acme}/timeline"), 404, "not_found")


@pytest.mark.parametrize("ref", ["987654", str(10**25), "abc", "1.5", "-1"])
def test_unknown_account_ids_are_404_json(crm, alice_api, ref):
    assert_error(alice_api.get(f"/accounts/{ref}"), 404, "not_found")
    assert_error(alice_api.get(f"/accounts/{ref}/timeline"), 404, "not_found")


# -- timeline --------------------------------------------------------------------------------


def test_timeline_is_newest_first_with_mail_details(crm, alice_api):
    response = alice_api.get(f"/accounts/{crm['acme'].pk}/timeline")

    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["kind"] for i in items] == ["note", "email", "email", "email"]
    times = [i["time"] for i in items]
    assert times == sorted(times, reverse=True) and all(t.endswith("Z") for t in times)
    note, q3, r1, q1 = items
    assert note["summary"] == "Met at the Canton Fair." and note["actor"] == "alice"
    assert note["note_id"] is not None and note["message_id"] is None
    assert (q3["subject"], q3["direction"]) == ("Re: Quotation request", "inbound")
    assert q3["from"] == {"name": "Buyer", "email": "buyer@acme.co.uk"}
    assert r1["direction"] == "outbound" and r1["time"] == "2026-03-03T08:30:00Z"
    assert q1["mailboxes"] == ["alice@demo-trading.com", "bob@demo-trading.com"]
    assert q1["contacts"] == [
        {"id": q1["contacts"][0]["id"], "name": "Buyer", "email": "buyer@acme.co.uk"}
    ]
    assert len({i["thread_id"] for i in items[1:]}) == 1
    assert all(i["message_id"] for i in items[1:])


def test_timeline_kind_filter(crm, alice_api):
    response = alice_api.get(f"/accounts/{crm['acme'].pk}/timeline", {"kind": "note"})
    assert [i["kind"] for i in response.json()["items"]] == ["note"]
    assert_error(alice_api.get(f"/accounts/{crm['acme'].pk}/timeline", {"kind": "fax"}), 422)


def test_timeline_pages_with_cursors(crm, alice_api):
    path = f"/accounts/{crm['acme'].pk}/timeline"
    everything = alice_api.get(path).json()["items"]

    walked = walk(alice_api, path, {"limit": 1})

    assert [i["id"] for i in walked] == [i["id"] for i in everything]
    assert len(walked) == 4


def test_timeline_refuses_bad_cursors_and_limits(crm, alice_api):
    path = f"/accounts/{crm['acme'].pk}/timeline"
    accounts_cursor = alice_api.get("/accounts", {"limit": 1}).json()["next_cursor"]
    assert_error(alice_api.get(path, {"cursor": "garbage"}), 400, "bad_cursor")
    assert_error(alice_api.get(path, {"cursor": accounts_cursor}), 400, "bad_cursor")
    assert_error(alice_api.get(path, {"limit": 100000}), 422, "invalid_params")


# -- notes -----------------------------------------------------------------------------------


def test_add_note(crm, alice_api):
    path = f"/accounts/{crm['acme'].pk}/notes"

    response = alice_api.post(path, {"body": "  Wants samples by May.  "})

    assert response.status_code == 201, response.content
    note = response.json()
    assert note["body"] == "Wants samples by May."
    assert note["account_id"] == crm["acme"].pk
    assert note["author"] == "alice" and note["created_at"].endswith("Z")
    assert Note.objects.get(pk=note["id"]).body == "Wants samples by May."
    timeline = alice_api.get(f"/accounts/{crm['acme'].pk}/timeline").json()["items"]
    assert timeline[0]["note_id"] == note["id"]


@pytest.mark.parametrize("body", ["", "   \n", "x" * 20_001])
def test_empty_or_huge_note_is_400(crm, alice_api, body):
    response = alice_api.post(f"/accounts/{crm['acme'].pk}/notes", {"body": body})
    assert_error(response, 400, "invalid")
    assert Note.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        (b'{"body": "unfinished', "application/json", 400, "bad_json"),
        (b"\xff\xfe\x00garbage", "application/json", 400, "bad_json"),
        (b'{"body": "hi"}', "text/plain", 415, "unsupported_media_type"),
        (b"body=hi", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b"", "application/json", 422, "invalid_params"),
        (b"[]", "application/json", 422, "invalid_params"),
        (b'"hi"', "application/json", 422, "invalid_params"),
        (b'{"text": "hi"}', "application/json", 422, "invalid_params"),
        (b'{"body": 5}', "application/json", 422, "invalid_params"),
        (b'{"body": null}', "application/json", 422, "invalid_params"),
    ],
)
def test_bad_note_bodies_are_4xx_json(crm, alice_api, data, content_type, status, code):
    response = alice_api.post(f"/accounts/{crm['acme'].pk}/notes", data, content_type=content_type)
    assert_error(response, status, code)
    assert Note.objects.count() == 1


def test_outsider_cannot_add_notes(crm, carol_api):
    response = carol_api.post(f"/accounts/{crm['acme'].pk}/notes", {"body": "sneaky"})
    assert_error(response, 404, "not_found")
    assert_error(carol_api.post("/accounts/987654/notes", {"body": "x"}), 404, "not_found")
    assert Note.objects.count() == 1


def test_wrong_method_is_405_json(crm, alice_api):
    response = alice_api.get(f"/accounts/{crm['acme'].pk}/notes")
    error = assert_error(response, 405, "method_not_allowed")
    assert "POST" in error["message"] and response["Allow"] == "POST"
    assert_error(alice_api.post("/accounts", {"name": "x"}), 405, "method_not_allowed")


# -- our own failures ------------------------------------------------------------------------


def test_an_unexpected_error_is_a_logged_500_in_the_error_shape(
    crm, alice_api, monkeypatch, caplog
):
    def broken(account):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("keyou.crm.selectors.account_counts", broken)

    error = assert_error(alice_api.get(f"/accounts/{crm['acme'].pk}"), 500, "internal_error")

    assert "fire" not in error["message"]
    assert any("database on fire" in (r.exc_text or "") for r in caplog.records)


def test_lists_cost_the_same_few_queries_however_long(
    crm, alice_api, django_assert_max_num_queries
):
    # The caller's reach (role, grants, team tree) costs a few queries once per request.
    with django_assert_max_num_queries(9):
        assert len(alice_api.get("/accounts").json()["items"]) == 6
    with django_assert_max_num_queries(10):
        assert len(alice_api.get(f"/accounts/{crm['acme'].pk}/timeline").json()["items"]) == 4


def test_every_sort_of_the_selector_has_a_cursor_keyset():
    from typing import get_args

    from keyou.api.routers.accounts import ACCOUNT_KEYSETS, AccountSort
    from keyou.crm.selectors import ACCOUNT_SORTS

    assert set(ACCOUNT_KEYSETS) == set(ACCOUNT_SORTS) == set(get_args(AccountSort))
    for sort, keyset in ACCOUNT_KEYSETS.items():
        first, tie = ACCOUNT_SORTS[sort]
        assert first == ("-" if keyset.descending else "") + keyset.field
        assert tie == ("-id" if keyset.descending else "id")
