"""The new-customer form, the live duplicate check and the import, through HTTP."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from keyou.crm.customers import account_create
from keyou.crm.models import Account
from keyou.people.models import AccessRequest, Organization
from keyou.people.services import user_add


@pytest.fixture
def abc(people):
    """Shenzhen ABC, alice's (team Europe), with a contact and a Shenzhen phone number."""
    return account_create(
        actor=people.alice,
        name="Shenzhen ABC Co., Ltd.",
        domains=["abc-sz.com"],
        country="CN",
        contact={
            "name": "Zhang San",
            "email": "zhang@abc-sz.com",
            "phone": "+86 755 1234 5678",
            "title": "Buyer",
        },
    )


def _new(client, **fields):
    data = {"lifecycle": "prospect", **fields}
    return client.post(reverse("account_new"), data)


def _hides_abc(page: str) -> None:
    for secret in ("Shenzhen ABC", "Zhang San", "zhang@abc-sz.com", "abc-sz.com"):
        assert secret not in page


def test_an_outsider_sees_who_owns_the_match_and_may_ask_for_access(people, abc, login):
    client = login(people.carol)

    response = _new(client, name="深圳市ABC有限公司", phone="0755-12345678", country="CN")

    page = response.content.decode()
    assert response.status_code == 200
    assert "An account owned by Alice (team Europe)" in page
    assert "same name" in page and "same phone number" in page
    assert "Request access" in page
    assert f'name="account_id" value="{abc.pk}"' in page
    assert reverse("access_request_new") in page
    assert 'name="confirm_duplicates"' in page
    _hides_abc(page)
    assert not Account.objects.filter(name="深圳市ABC有限公司").exists()

    response = _new(
        client,
        name="深圳市ABC有限公司",
        phone="0755-12345678",
        country="CN",
        confirm_duplicates="on",
    )

    account = Account.objects.get(name="深圳市ABC有限公司")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_detail", args=[account.pk])
    assert (account.owner, account.team) == (people.carol, people.carol.team)
    assert account.contacts.get().phones == ["+8675512345678"]


def test_the_request_access_button_files_a_request(people, abc, login):
    client = login(people.carol)
    client.post(reverse("access_request_new"), {"account_id": abc.pk, "reason": "dup"})
    assert AccessRequest.objects.filter(requester=people.carol, account_id=abc.pk).exists()


def test_a_domain_held_by_another_account_cannot_be_confirmed_away(people, abc, login):
    response = _new(
        login(people.carol),
        name="Totally New Name",
        domain="www.abc-sz.com",
        confirm_duplicates="on",
    )

    page = response.content.decode()
    assert "already exists, so it cannot be created again" in page
    assert 'name="confirm_duplicates"' not in page
    _hides_abc(page.replace("www.abc-sz.com", ""))
    assert not Account.objects.filter(name="Totally New Name").exists()


def test_block_mode_refuses_any_match(people, abc, login):
    Organization.objects.filter(pk=Organization.get().pk).update(duplicate_mode="block")

    response = _new(login(people.carol), name="ABC Limited", confirm_duplicates="on")

    page = response.content.decode()
    assert "cannot be created again" in page and 'name="confirm_duplicates"' not in page
    assert not Account.objects.filter(name="ABC Limited").exists()


def test_the_owner_sees_the_match_by_name_with_a_link(people, abc, login):
    response = login(people.alice).get(
        reverse("duplicate_check"), {"name": "深圳市ABC有限公司"}, headers={"HX-Request": "true"}
    )

    page = response.content.decode()
    assert "Shenzhen ABC Co., Ltd." in page
    assert reverse("account_detail", args=[abc.pk]) in page
    assert "Request access" not in page


def test_the_live_check_reveals_only_the_owner(people, abc, login):
    client = login(people.carol)

    response = client.get(
        reverse("duplicate_check"),
        {"phone": "+86 755 1234 5678", "email": "someone@abc-sz.com"},
        headers={"HX-Request": "true"},
    )

    page = response.content.decode()
    assert "<html" not in page
    assert "An account owned by Alice (team Europe)" in page
    assert "same domain" in page and "same phone number" in page
    _hides_abc(page.replace("someone@abc-sz.com", ""))
    assert (
        "No existing customer matches"
        in client.get(reverse("duplicate_check"), {"name": "Nothing Like It GmbH"}).content.decode()
    )


def test_a_new_customer_needs_a_valid_form_and_the_capability(people, login):
    response = _new(login(people.carol), name="", domain="qq.com")
    assert response.status_code == 200 and not Account.objects.exists()

    response = _new(login(people.carol), name="Li Trading", domain="qq.com")
    assert "free mail" in response.content.decode()

    helper = user_add(username="sam", email="sam@demo-trading.com", role="support")
    client = login(helper)
    for name in ("account_new", "duplicate_check", "account_import"):
        assert client.get(reverse(name)).status_code == 403
    assert "New customer" not in client.get(reverse("account_list")).content.decode()
    assert (
        reverse("account_new") in login(people.carol).get(reverse("account_list")).content.decode()
    )


# --- Import ---------------------------------------------------------------------------


CSV = (
    "公司名称,域名,国家,联系人,电话\n"
    "Hamburg Lights GmbH,hamburg-lights.de,DE,Jonas,+49 40 1234567\n"
    "Bad Country Ltd,badcountry.com,XYZ,,\n"
    "Roma Casa S.r.l.,romacasa.it,IT,Giulia,+39 06 1234 5678\n"
)


def test_an_import_previews_then_imports_good_rows_and_reports_the_bad_line(people, login):
    client = login(people.carol)
    upload = SimpleUploadedFile("customers.csv", CSV.encode("utf-8-sig"), "text/csv")

    preview = client.post(reverse("account_import"), {"file": upload})

    page = preview.content.decode()
    assert preview.status_code == 200
    assert "Preview" in page and "country is a two-letter code" in page
    assert ">3<" in page  # the bad row's line number
    assert not Account.objects.exists()
    payload = preview.context["confirm"].initial["payload"]

    done = client.post(reverse("account_import"), {"payload": payload})

    page = done.content.decode()
    assert "Import finished" in page
    assert set(Account.objects.values_list("name", flat=True)) == {
        "Hamburg Lights GmbH",
        "Roma Casa S.r.l.",
    }
    assert Account.objects.get(name="Roma Casa S.r.l.").owner == people.carol
    assert done.context["report"].rows[1].line == 3


def test_an_import_payload_is_bound_to_its_user_and_cannot_be_forged(people, login):
    upload = SimpleUploadedFile("c.csv", CSV.encode(), "text/csv")
    preview = login(people.carol).post(reverse("account_import"), {"file": upload})
    payload = preview.context["confirm"].initial["payload"]

    for client, sent in ((login(people.alice), payload), (login(people.carol), payload + "x")):
        response = client.post(reverse("account_import"), {"payload": sent})
        assert response.status_code == 302 and response["Location"] == reverse("account_import")
    assert not Account.objects.exists()


def test_an_unreadable_upload_is_reported_on_the_form(people, login):
    upload = SimpleUploadedFile("c.xlsx", b"PK\x03\x04 not a workbook", "application/zip")

    response = login(people.carol).post(reverse("account_import"), {"file": upload})

    assert "not a readable XLSX file" in response.content.decode()


# --- A contact added on the account page ---------------------------------------------


def test_a_contact_with_another_customers_phone_is_confirmed_on_the_account_page(
    people, crm, abc, login
):
    client = login(people.carol)
    url = reverse("contact_create", args=[crm.globex.pk])

    response = client.post(url, {"name": "Zhang", "phone": "0755 1234 5678"})

    page = response.content.decode()
    assert "owned by Alice (team Europe)" in page
    assert 'name="confirm_duplicates"' in page
    _hides_abc(page)
    assert not crm.globex.contacts.filter(name="Zhang").exists()

    response = client.post(
        url, {"name": "Zhang", "phone": "0755 1234 5678", "confirm_duplicates": "on"}
    )

    assert response.status_code == 302
    assert crm.globex.contacts.get(name="Zhang").phones == ["+8675512345678"]
    assert (
        "+8675512345678"
        in client.get(reverse("account_detail", args=[crm.globex.pk])).content.decode()
    )
