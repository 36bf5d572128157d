"""The duplicate check (查重): folding keys, finding matches safely, creating behind the check."""

from __future__ import annotations

import pytest

from keyou.audit.models import AuditAction, AuditEntry
from keyou.automation.events import ACCOUNT_CREATED
from keyou.automation.models import Event
from keyou.crm.customers import DuplicateFound, account_create
from keyou.crm.duplicates import (
    Reason,
    company_domain,
    company_key,
    duplicate_keys_backfill,
    duplicates_find,
    phone_keys,
)
from keyou.crm.matching import Matcher
from keyou.crm.models import Account, AccountDomain, Contact
from keyou.crm.phones import normalize_phone
from keyou.crm.services import InvalidChange, account_update, contact_add
from keyou.people.access import SYSTEM, NotAllowed
from keyou.people.models import Organization
from keyou.people.services import user_add

# --- Keys (no database) -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Shenzhen ABC Co., Ltd.",
        "深圳市ABC有限公司",
        "ＡＢＣ（深圳）有限公司",
        "ABC (Shenzhen) Co.,Ltd",
        "SHENZHEN CITY ABC CO.,LTD.",
        "Shen Zhen ABC Company Limited",
        "广东省深圳市ABC有限公司",
        "ABC集团有限公司",
        "ABC Group Co., Ltd.",
        "  abc   limited ",
        "A.B.C. Ltd",
        "ABC Inc.",
        "ABC GmbH & Co. KG",
        "ABC S.r.l.",
        "ABC S.A.",
        "ABC B.V.",
        "ABC Pty Ltd",
        "The ABC Company",
        "香港ABC有限公司",
        "Hong Kong ABC Limited",
        "ABC Shanghai Co., Ltd.",
        "ABC (Hong Kong) Ltd",
        "abc.com",
        "www.abc.com.cn",
    ],
)
def test_variants_of_one_company_fold_to_one_key(name):
    assert company_key(name) == "abc"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Müller GmbH", "müller"),
        ("Rossi S.p.A.", "rossi"),
        ("株式会社ソニー", "ソニー"),
        ("ソニー株式会社", "ソニー"),
        ("㈱ソニー", "ソニー"),
        ("삼성전자 주식회사", "삼성전자"),
        ("(주)삼성전자", "삼성전자"),
        ("宁波XYZ进出口有限公司", "xyz进出口"),
        ("Ningbo XYZ Import & Export Co., Ltd.", "xyzimportexport"),
        ("Xi'an ABC Co", "abc"),
        ("广西壮族自治区ABC有限公司", "abc"),
    ],
)
def test_legal_forms_and_places_in_many_languages_are_dropped(name, key):
    assert company_key(name) == key


def test_industry_words_are_kept_so_different_businesses_stay_apart():
    assert company_key("ABC Trading Co., Ltd.") == "abctrading"
    assert company_key("ABC Electronics Co., Ltd.") == "abcelectronics"
    assert company_key("深圳市ABC贸易有限公司") == "abc贸易"


def test_a_name_is_never_folded_to_nothing():
    assert company_key("Shenzhen Co., Ltd.") == "shenzhen"
    assert company_key("深圳市有限公司") == "深圳市"
    assert company_key("Company Limited") == "companylimited"
    assert company_key("Shenzhen") == "shenzhen"
    assert company_key("!!!") == "!!!"
    assert company_key("") == ""


def test_a_place_is_kept_when_too_little_would_be_left():
    assert company_key("Shenzhen A Ltd") == "shenzhena"


def test_one_phone_number_written_two_ways_has_one_key():
    assert normalize_phone("+86 755 1234 5678") == normalize_phone("0755-12345678", "CN")
    assert phone_keys(["+8675512345678", "", "+8675512345678"]) == " +8675512345678 "
    assert phone_keys([]) == ""


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("abc.com", "abc.com"),
        ("www.ABC.com", "abc.com"),
        ("https://mail.acme.co.uk/contact", "acme.co.uk"),
        ("li.wei@sales.abc.com.cn", "abc.com.cn"),
        ("qq.com", ""),
        ("someone@163.com", ""),
        ("buyer@gmail.com", ""),
        ("not a domain", ""),
    ],
)
def test_company_domains_never_include_free_mail(text, domain):
    assert company_domain(text) == domain


# --- Keys kept current --------------------------------------------------------------------


def test_keys_are_set_by_mail_filing_renames_and_new_contacts(people, crm):
    match = Matcher().resolve("buyer@newco-sz.com", "Buyer")
    assert Account.objects.get(pk=match.account_id).name_key == "newcosz"

    account_update(actor=SYSTEM, account=crm.initech, name="深圳市Initech有限公司")
    assert Account.objects.get(pk=crm.initech.pk).name_key == "initech"

    contact = contact_add(actor=SYSTEM, account=crm.globex, name="Wang", phone="021 6123 4567")
    assert contact.phones == ["+862161234567"]
    assert contact.phone_keys == " +862161234567 "


def test_the_backfill_fills_keys_of_existing_rows(people, crm):
    Account.objects.update(name_key="")
    Contact.objects.filter(pk=crm.li.pk).update(phones=["+8675512345678"], phone_keys="")

    changed = duplicate_keys_backfill(batch_size=2)

    assert changed == (3, 1)
    assert Account.objects.get(pk=crm.initech.pk).name_key == "initech"
    assert Contact.objects.get(pk=crm.li.pk).phone_keys == " +8675512345678 "
    assert duplicate_keys_backfill() == (0, 0)


# --- Finding ------------------------------------------------------------------------------


@pytest.fixture
def abc(people):
    """Shenzhen ABC, alice's (team Europe), with a contact reachable by phone."""
    account = account_create(
        actor=people.alice,
        name="Shenzhen ABC Co., Ltd.",
        domains=["abc-sz.com"],
        country="CN",
        contact={"name": "Zhang San", "email": "zhang@abc-sz.com", "phone": "+86 755 1234 5678"},
    )
    return account


def test_an_outsider_learns_who_owns_a_match_but_not_the_account(people, abc):
    matches = duplicates_find(
        people.carol,
        name="深圳市ABC有限公司",
        domains=["www.abc-sz.com"],
        phones=["0755-12345678"],
        emails=["zhang@abc-sz.com"],
    )

    assert len(matches) == 1
    match = matches[0]
    assert match.account_id == abc.pk and not match.visible
    assert match.reasons == (Reason.NAME, Reason.DOMAIN, Reason.EMAIL, Reason.PHONE)
    assert match.name == ""
    assert (match.owner_name, match.team_name) == ("Alice", "Europe")
    assert match.describe() == (
        "an account owned by Alice (team Europe): "
        "same name, same domain, same email address, same phone number"
    )


def test_the_owner_and_a_teammate_in_scope_see_the_match_by_name(people, abc):
    for user in (people.alice, people.bob):
        [match] = duplicates_find(user, phones=["+86 755 1234 5678"])

        assert match.visible and match.name == "Shenzhen ABC Co., Ltd."
        assert match.reasons == (Reason.PHONE,)
        assert "Shenzhen ABC Co., Ltd." in match.describe()


def test_free_mail_and_the_excluded_account_never_match(people, abc):
    assert duplicates_find(people.carol, emails=["abc.sz@qq.com"], domains=["gmail.com"]) == []
    assert duplicates_find(people.alice, name="ABC Ltd", exclude_account=abc) == []


def test_a_pool_account_says_so(people, abc):
    Account.objects.filter(pk=abc.pk).update(owner=None)

    [match] = duplicates_find(people.carol, name="ABC Limited")

    assert match.in_pool and match.describe().startswith("an account in the public pool")


# --- Creating -----------------------------------------------------------------------------


def test_warn_mode_refuses_until_confirmed_and_reveals_nothing(people, abc):
    with pytest.raises(DuplicateFound) as caught:
        account_create(actor=people.carol, name="深圳市ABC有限公司", country="CN")
    assert not caught.value.blocking
    assert "owned by Alice (team Europe)" in str(caught.value)
    assert "Shenzhen ABC" not in str(caught.value)

    account = account_create(
        actor=people.carol, name="深圳市ABC有限公司", country="CN", confirm_duplicates=True
    )

    assert (account.owner, account.team) == (people.carol, people.carol.team)
    assert account.assigned_at is not None and account.name_key == "abc"
    assert Event.objects.filter(kind=ACCOUNT_CREATED, account_id=account.pk).exists()
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_id=str(account.pk))
    assert entry.data["duplicates_confirmed"] == [abc.pk]


def test_block_mode_refuses_even_when_confirmed(people, abc):
    Organization.objects.filter(pk=Organization.get().pk).update(duplicate_mode="block")

    with pytest.raises(DuplicateFound) as caught:
        account_create(
            actor=people.carol,
            name="Another name",
            contact={"name": "Li", "phone": "0755-12345678"},
            country="CN",
            confirm_duplicates=True,
        )

    assert caught.value.blocking
    assert not Account.objects.filter(name="Another name").exists()


def test_a_domain_or_email_held_by_another_account_always_blocks(people, abc):
    with pytest.raises(DuplicateFound) as caught:
        account_create(
            actor=people.carol, name="Other", domains=["abc-sz.com"], confirm_duplicates=True
        )
    assert caught.value.blocking

    with pytest.raises(DuplicateFound) as caught:
        account_create(
            actor=people.carol,
            name="Other",
            contact={"email": "Zhang@ABC-SZ.com"},
            confirm_duplicates=True,
        )
    assert caught.value.blocking


def test_free_mail_is_not_a_company_domain(people):
    with pytest.raises(InvalidChange, match="free mail"):
        account_create(actor=people.carol, name="Li Trading", domains=["163.com"])


def test_creating_needs_the_capability_and_assigning_to_others_needs_assign(people):
    helper = user_add(username="sam", email="sam@demo-trading.com", role="support")
    with pytest.raises(NotAllowed):
        account_create(actor=helper, name="New Co")
    with pytest.raises(NotAllowed):
        account_create(actor=people.carol, name="New Co", owner=people.bob)

    account = account_create(actor=people.alice, name="New Co", owner=people.bob)

    assert (account.owner, account.team) == (people.bob, people.bob.team)


def test_the_system_creates_into_the_pool(people):
    account = account_create(actor=SYSTEM, name="Pool Co", domains=["https://www.poolco.de/"])

    assert account.owner is None and account.pooled_at is not None
    assert list(AccountDomain.objects.filter(account=account).values_list("domain", flat=True)) == [
        "poolco.de"
    ]


def test_a_contact_with_another_accounts_phone_needs_confirming(people, crm, abc):
    with pytest.raises(DuplicateFound) as caught:
        contact_add(actor=people.carol, account=crm.globex, name="Zhang", phone="0755 1234 5678")
    assert not caught.value.blocking and "owned by Alice" in str(caught.value)

    contact = contact_add(
        actor=people.carol,
        account=crm.globex,
        name="Zhang",
        phone="0755 1234 5678",
        confirm_duplicates=True,
    )

    assert contact.phone_keys == " +8675512345678 "


def test_a_contact_with_another_accounts_address_is_refused(people, crm, abc):
    with pytest.raises(DuplicateFound) as caught:
        contact_add(
            actor=people.carol,
            account=crm.globex,
            name="Zhang",
            email="zhang@abc-sz.com",
            confirm_duplicates=True,
        )
    assert caught.value.blocking
