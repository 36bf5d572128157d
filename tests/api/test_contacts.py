"""/contacts?email=: find the contacts the actor may see by address."""

import pytest

from tests.api.helpers import assert_error


def test_find_contact_by_email_in_any_case(crm, alice_api):
    response = alice_api.get("/contacts", {"email": " BUYER@Acme.co.uk "})

    assert response.status_code == 200
    [contact] = response.json()["items"]
    assert contact["name"] == "Buyer"
    assert contact["emails"] == ["buyer@acme.co.uk"]
    assert contact["account"] == {"id": crm["acme"].pk, "name": "acme.co.uk"}
    assert contact["created_at"].endswith("Z")


def test_unknown_address_finds_nothing(crm, alice_api):
    assert alice_api.get("/contacts", {"email": "nobody@nowhere.example"}).json() == {"items": []}
    assert alice_api.get("/contacts", {"email": "not an address"}).json() == {"items": []}


def test_outsider_finds_nothing(crm, carol_api):
    assert carol_api.get("/contacts", {"email": "buyer@acme.co.uk"}).json() == {"items": []}
    [own] = carol_api.get("/contacts", {"email": "wang@lotus-asia.cn"}).json()["items"]
    assert own["account"]["name"] == "lotus-asia.cn"


@pytest.mark.parametrize("params", [{}, {"email": ""}, {"email": "x" * 321}])
def test_email_is_required(crm, alice_api, params):
    error = assert_error(alice_api.get("/contacts", params), 422, "invalid_params")
    assert "email" in error["message"]
