"""The accounts list and the account 360 page, through HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from keyou.crm.models import Account, Activity, ActivityKind, Contact, Note, Tag
from keyou.crm.services import interaction_log
from keyou.people.access import SYSTEM

HTMX = {"HX-Request": "true"}


def list_url(**params) -> str:
    from django.utils.http import urlencode

    return reverse("account_list") + ("?" + urlencode(params, doseq=True) if params else "")


def detail_url(account, **params) -> str:
    from django.utils.http import urlencode

    url = reverse("account_detail", args=[account.pk])
    return url + ("?" + urlencode(params, doseq=True) if params else "")


def names_in(response) -> list[str]:
    """Return the account names linked in a list response, in order."""
    return [a.name for a in response.context["page"].accounts]


# --- List ----------------------------------------------------------------------


def test_list_shows_own_and_team_accounts_only(login, people, crm):
    response = login(people.alice).get(list_url())

    assert response.status_code == 200
    body = response.content.decode()
    assert "Acme Trading Ltd" in body and "Initech GmbH" in body
    assert "Globex" not in body
    assert f'href="/accounts/{crm.acme.pk}/"' in body
    assert "acme.co.uk" in body and "VIP" in body


def test_list_for_other_team_and_admin(login, people, crm):
    assert names_in(login(people.carol).get(list_url())) == ["Globex Shanghai"]
    admin_sees = set(names_in(login(people.admin).get(list_url())))
    assert admin_sees == {"Acme Trading Ltd", "Initech GmbH", "Globex Shanghai"}


def test_list_needs_login(client, crm):
    response = client.get(list_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "acme"}, ["Acme Trading Ltd"]),
        ({"q": "anna@acme"}, ["Acme Trading Ltd"]),
        ({"q": "initech.de"}, ["Initech GmbH"]),
        ({"lifecycle": "active"}, ["Acme Trading Ltd"]),
        ({"country": "de"}, ["Initech GmbH"]),
        ({"tag": "VIP"}, ["Acme Trading Ltd"]),
        ({"after": "2026-03-01"}, ["Acme Trading Ltd"]),
        ({"before": "2026-03-01"}, []),
    ],
)
def test_list_filters(login, people, crm, params, expected):
    response = login(people.alice).get(list_url(**params))
    assert response.status_code == 200
    assert names_in(response) == expected


def test_list_filter_by_owner_and_team(login, people, crm):
    client = login(people.admin)
    assert names_in(client.get(list_url(owner=people.bob.pk))) == ["Initech GmbH"]
    europe = people.alice.team
    assert set(names_in(client.get(list_url(team=europe.pk)))) == {
        "Acme Trading Ltd",
        "Initech GmbH",
    }


def test_list_awaiting_reply_filter_and_badge(login, people, crm, acme_mail):
    response = login(people.alice).get(list_url(awaiting="on"))
    assert names_in(response) == ["Acme Trading Ltd"]
    assert "Awaiting reply" in response.content.decode()


def test_filter_on_an_outsiders_owner_still_shows_nothing_of_theirs(login, people, crm):
    assert names_in(login(people.alice).get(list_url(owner=people.carol.pk))) == []


@pytest.mark.parametrize(
    "params",
    [
        {"after": "not-a-date"},
        {"before": "2026-02-30"},
        {"sort": "password"},
        {"sort": "-name; DROP TABLE"},
        {"page": "abc"},
        {"page": "-3"},
        {"page": "999999999999999999999"},
        {"owner": "999999"},
        {"owner": "x"},
        {"team": "0"},
        {"lifecycle": "immortal"},
        {"country": "Germany"},
        {"q": "x" * 500},
        {"q": "%_\\'\""},
    ],
)
def test_list_bad_input_still_renders(login, people, crm, params):
    response = login(people.alice).get(list_url(**params))
    assert response.status_code == 200


def test_list_bad_date_is_reported_and_ignored(login, people, crm):
    response = login(people.alice).get(list_url(after="soon", country="gb"))
    body = response.content.decode()
    assert response.context["form"].errors["after"]
    assert "form-errors" in body
    assert names_in(response) == ["Acme Trading Ltd"]  # the valid filter still applies


def test_list_sorts(login, people, crm):
    client = login(people.admin)
    by_name = names_in(client.get(list_url(sort="name")))
    assert by_name == ["Acme Trading Ltd", "Globex Shanghai", "Initech GmbH"]
    assert names_in(client.get(list_url(sort="-name"))) == list(reversed(by_name))
    # Last contact, newest first, accounts never heard from at the end.
    assert names_in(client.get(list_url(sort="-last_contact")))[0] == "Acme Trading Ltd"
    created = names_in(client.get(list_url(sort="created")))
    assert created == ["Acme Trading Ltd", "Initech GmbH", "Globex Shanghai"]


def _many_accounts(owner, n: int) -> None:
    Account.objects.bulk_create(
        Account(name=f"Bulk {i:04d}", owner=owner, team=owner.team) for i in range(n)
    )


def test_list_pages_by_50_without_counting_everything(
    login, people, crm, monkeypatch, django_assert_max_num_queries
):
    from keyou.web import selectors as pages

    _many_accounts(people.carol, 118)  # carol: 119 accounts with Globex
    monkeypatch.setattr(pages, "ACCOUNTS_COUNT_CAP", 100)
    client = login(people.carol)

    first = client.get(list_url(sort="name"))
    assert len(first.context["page"].accounts) == 50
    assert first.context["page"].has_next
    assert "100+" in first.content.decode()  # capped, not the exact 119

    last = client.get(list_url(sort="name", page=3))
    page = last.context["page"]
    assert len(page.accounts) == 19 and not page.has_next and page.has_previous
    seen = [*names_in(first), *names_in(client.get(list_url(sort="name", page=2))), *names_in(last)]
    assert len(seen) == len(set(seen)) == 119

    beyond = client.get(list_url(page=50))
    assert beyond.status_code == 200 and names_in(beyond) == []

    with django_assert_max_num_queries(15):
        client.get(list_url(sort="name", page=2))


def test_list_htmx_gets_the_results_fragment(login, people, crm):
    response = login(people.alice).get(list_url(q="acme"), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "topbar" not in body
    assert "Acme Trading Ltd" in body and 'hx-swap-oob="true"' in body


def test_list_times_in_the_users_zone(login, people, crm):
    # acme's last inbound is 2026-03-02 08:30 UTC.
    assert "2026-03-02 16:30" in login(people.alice).get(list_url()).content.decode()
    people.alice.time_zone = "Europe/Berlin"
    people.alice.save()
    assert "2026-03-02 09:30" in login(people.alice).get(list_url()).content.decode()


# --- Account 360 -----------------------------------------------------------------


def test_detail_renders_for_owner(login, people, crm, acme_mail):
    response = login(people.alice).get(detail_url(crm.acme))
    body = response.content.decode()

    assert response.status_code == 200
    for text in ("Acme Trading Ltd", "acme.co.uk", "GB", "VIP", "Anna Buyer", "Purchasing"):
        assert text in body
    assert reverse("contact_detail", args=[crm.anna.pk]) in body
    # Emails are grouped: one row per thread, linked to the thread page.
    entries = response.context["timeline"].entries
    assert [e.type for e in entries] == ["thread", "thread"]
    samples, quote = entries
    assert quote.thread.subject == "Quotation request: LED panels"
    assert quote.count == 2
    assert quote.directions == {"inbound": 1, "outbound": 1}
    assert quote.mailboxes == ["alice@demo-trading.com", "sales@demo-trading.com"]
    assert reverse("thread_detail", args=[quote.id]) in body
    assert samples.thread.awaiting_since is not None
    assert "Awaiting reply" in body
    counts = response.context["counts"]
    assert (counts["threads"], counts["emails"], counts["contacts"]) == (2, 3, 2)
    # Key dates in the user's zone (Asia/Shanghai): first contact 08:30 UTC.
    assert "2026-03-02 16:30" in body


def test_detail_for_teammate_and_admin(login, people, crm):
    assert login(people.bob).get(detail_url(crm.acme)).status_code == 200
    assert login(people.admin).get(detail_url(crm.globex)).status_code == 200


def test_detail_outside_scope_looks_missing(login, people, crm):
    client = login(people.carol)
    outside = client.get(detail_url(crm.acme))
    missing = client.get(reverse("account_detail", args=[987654]))
    assert outside.status_code == missing.status_code == 404
    assert client.get(detail_url(crm.acme), headers=HTMX).status_code == 404


@pytest.mark.parametrize(
    "name", ["account_edit", "note_create", "interaction_create", "tag_add", "tag_remove"]
)
def test_changes_outside_scope_are_404(login, people, crm, name):
    client = login(people.carol)
    url = reverse(name, args=[crm.acme.pk])
    response = client.post(url, {"body": "x", "name": "Hacked", "lifecycle": "lost"})
    assert response.status_code == 404
    crm.acme.refresh_from_db()
    assert crm.acme.name == "Acme Trading Ltd"
    assert not Note.objects.exists()


def test_contact_create_outside_scope_is_404(login, people, crm):
    url = reverse("contact_create", args=[crm.acme.pk])
    response = login(people.carol).post(url, {"name": "Mole"})
    assert response.status_code == 404
    assert not Contact.objects.filter(name="Mole").exists()


def test_changes_need_post(login, people, crm):
    client = login(people.alice)
    for name in ("note_create", "interaction_create", "tag_add", "tag_remove", "contact_create"):
        assert client.get(reverse(name, args=[crm.acme.pk])).status_code == 405


# --- Notes ---------------------------------------------------------------------------


def test_add_note_appears_on_timeline(login, people, crm):
    client = login(people.alice)
    response = client.post(
        reverse("note_create", args=[crm.acme.pk]), {"body": "Met at Canton Fair"}
    )
    assert response.status_code == 302
    page = client.get(detail_url(crm.acme))
    assert "Met at Canton Fair" in page.content.decode()
    note = Note.objects.get()
    assert (note.account, note.author) == (crm.acme, people.alice)


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_empty_note_shows_error(login, people, crm, body):
    response = login(people.alice).post(reverse("note_create", args=[crm.acme.pk]), {"body": body})
    assert response.status_code == 200
    assert response.context["note_form"].errors
    assert "errorlist" in response.content.decode()
    assert not Note.objects.exists()


def test_note_htmx_returns_timeline_and_fresh_form(login, people, crm):
    client = login(people.alice)
    response = client.post(
        reverse("note_create", args=[crm.acme.pk]), {"body": "Called back"}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "Called back" in body
    assert 'id="note-form"' in body and 'hx-swap-oob="true"' in body


def test_note_htmx_error_retargets_the_form(login, people, crm):
    response = login(people.alice).post(
        reverse("note_create", args=[crm.acme.pk]), {"body": ""}, headers=HTMX
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#note-form"
    assert "<html" not in response.content.decode()


def test_overlong_note_is_a_form_error(login, people, crm):
    response = login(people.alice).post(
        reverse("note_create", args=[crm.acme.pk]), {"body": "x" * 20_001}
    )
    assert response.status_code == 200
    assert response.context["note_form"].errors


# --- Calls and meetings ------------------------------------------------------------------


def _call(**overrides) -> dict:
    data = {
        "kind": "call",
        "day": "2026-03-10",
        "at": "10:00",
        "duration_minutes": "15",
        "summary": "Discussed the LED panel price",
        "outcome": "Wants 3% off",
        "next_step": "Send revised quote",
    }
    return {**data, **overrides}


def test_log_call_appears_on_timeline_in_utc(login, people, crm):
    client = login(people.alice)
    data = _call(contacts=[crm.anna.pk])
    response = client.post(reverse("interaction_create", args=[crm.acme.pk]), data)
    assert response.status_code == 302

    call = Activity.objects.get(kind=ActivityKind.CALL)
    # 10:00 in Asia/Shanghai is 02:00 UTC.
    assert call.occurred_at == datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    assert list(call.contacts.all()) == [crm.anna]
    assert call.data["duration_minutes"] == 15
    body = client.get(detail_url(crm.acme)).content.decode()
    for text in ("Discussed the LED panel price", "Wants 3% off", "Send revised quote"):
        assert text in body
    assert "2026-03-10 10:00" in body


def test_log_meeting_htmx(login, people, crm):
    response = login(people.alice).post(
        reverse("interaction_create", args=[crm.acme.pk]),
        _call(kind="meeting", summary="Factory visit"),
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "Factory visit" in body and 'id="interaction-form"' in body


def test_log_call_with_contact_of_another_account_is_an_error(login, people, crm):
    response = login(people.admin).post(
        reverse("interaction_create", args=[crm.acme.pk]), _call(contacts=[crm.li.pk])
    )
    assert response.status_code == 200
    assert response.context["interaction_form"].errors["contacts"]
    assert not Activity.objects.filter(kind=ActivityKind.CALL).exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"kind": "email"},
        {"kind": "note"},
        {"day": "2026-13-01"},
        {"at": "25:00"},
        {"summary": ""},
        {"duration_minutes": "-5"},
        {"duration_minutes": "lots"},
        {"contacts": ["abc"]},
        {"contacts": ["999999"]},
    ],
)
def test_log_call_bad_input_is_a_form_error(login, people, crm, overrides):
    response = login(people.alice).post(
        reverse("interaction_create", args=[crm.acme.pk]), _call(**overrides)
    )
    assert response.status_code == 200
    assert response.context["interaction_form"].errors
    assert not Activity.objects.exists()


def test_log_call_htmx_error_retargets_the_form(login, people, crm):
    response = login(people.alice).post(
        reverse("interaction_create", args=[crm.acme.pk]), _call(summary=""), headers=HTMX
    )
    assert response["HX-Retarget"] == "#interaction-form"


# --- Timeline filters and pages ---------------------------------------------------------------


def _log(account, contact=None, *, at, summary="Call", kind=ActivityKind.CALL):
    return interaction_log(
        actor=SYSTEM,
        account=account,
        kind=kind,
        occurred_at=at,
        summary=summary,
        contact_ids=[contact.pk] if contact else [],
    )


def test_timeline_filters_by_kind_and_contact(login, people, crm, acme_mail):
    at = datetime(2026, 3, 3, tzinfo=UTC)
    _log(crm.acme, crm.anna, at=at, summary="Call with Anna")
    _log(crm.acme, crm.ben, at=at, summary="Meeting with Ben", kind=ActivityKind.MEETING)
    client = login(people.alice)

    calls = client.get(detail_url(crm.acme, kind="call")).context["timeline"].entries
    assert [e.type for e in calls] == ["call"]

    both = client.get(detail_url(crm.acme, kind=["call", "meeting"])).context["timeline"].entries
    assert {e.type for e in both} == {"call", "meeting"}

    annas = client.get(detail_url(crm.acme, contact=crm.anna.pk)).context["timeline"].entries
    assert {e.type for e in annas} == {"thread", "call"}
    assert [e.thread.subject for e in annas if e.type == "thread"] == [
        "Quotation request: LED panels"
    ]


def test_timeline_filter_htmx_fragment(login, people, crm, acme_mail):
    response = login(people.alice).get(detail_url(crm.acme, kind="email"), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'class="timeline"' in body
    assert "Samples for the spring fair" in body


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "party"},
        {"contact": "abc"},
        {"contact": "-1"},
        {"before": "garbage"},
        {"before": "1_1"},
        {"before": "99999999999999999999999_1_1"},
        {"before": "0_7_1"},
    ],
)
def test_timeline_bad_filters_still_render(login, people, crm, acme_mail, params):
    assert login(people.alice).get(detail_url(crm.acme, **params)).status_code == 200


def test_timeline_filter_with_contact_of_another_account_shows_nothing(
    login, people, crm, acme_mail
):
    response = login(people.admin).get(detail_url(crm.acme, contact=crm.li.pk))
    assert response.status_code == 200
    assert response.context["timeline"].entries == []


def test_timeline_pages_without_gaps_or_repeats(login, people, crm, acme_mail):
    same_time = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # also the quote thread's latest
    for i in range(55):
        _log(crm.acme, at=same_time, summary=f"Call {i}")
    for i in range(10):
        _log(crm.acme, at=same_time - timedelta(days=i + 1), summary=f"Earlier {i}")
    client = login(people.alice)

    seen = []
    url = detail_url(crm.acme)
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen += [(e.type, e.id) for e in response.context["timeline"].entries]
        url = response.context["more_url"]
        pages += 1
    assert pages == 2
    assert len(seen) == len(set(seen)) == 55 + 10 + 2  # every call, every thread, once


def test_timeline_older_entries_htmx_appends(login, people, crm):
    for i in range(51):
        _log(crm.acme, at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=i), summary=f"C{i}")
    client = login(people.alice)
    more_url = client.get(detail_url(crm.acme)).context["more_url"]
    response = client.get(more_url, headers={**HTMX, "HX-Target": "timeline-more"})
    body = response.content.decode()
    assert response.status_code == 200
    assert '<ol class="timeline">' not in body and "C0" in body
    assert 'id="timeline-more"' not in body  # last page


# --- Tags --------------------------------------------------------------------------------


def test_tags_add_and_remove(login, people, crm):
    client = login(people.alice)
    assert (
        client.post(reverse("tag_add", args=[crm.acme.pk]), {"name": " 展会  客户 "}).status_code
        == 302
    )
    assert set(crm.acme.tags.values_list("name", flat=True)) == {"VIP", "展会 客户"}
    assert "展会 客户" in client.get(detail_url(crm.acme)).content.decode()

    client.post(reverse("tag_remove", args=[crm.acme.pk]), {"name": "VIP"})
    assert list(crm.acme.tags.values_list("name", flat=True)) == ["展会 客户"]
    assert Tag.objects.filter(name="VIP").exists()  # the tag stays for other accounts


def test_tags_htmx_fragment(login, people, crm):
    response = login(people.alice).post(
        reverse("tag_add", args=[crm.acme.pk]), {"name": "Distributor"}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="account-tags"' in body and "Distributor" in body


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_bad_tag_is_an_error(login, people, crm, name):
    client = login(people.alice)
    response = client.post(reverse("tag_add", args=[crm.acme.pk]), {"name": name})
    assert response.status_code == 200
    assert response.context["tag_form"].errors
    htmx = client.post(reverse("tag_add", args=[crm.acme.pk]), {"name": name}, headers=HTMX)
    assert htmx.status_code == 200 and "errorlist" in htmx.content.decode()
    assert list(crm.acme.tags.values_list("name", flat=True)) == ["VIP"]


def test_removing_a_missing_tag_is_harmless(login, people, crm):
    response = login(people.alice).post(reverse("tag_remove", args=[crm.acme.pk]), {"name": "Nope"})
    assert response.status_code == 302


# --- Edit ------------------------------------------------------------------------------------


def test_edit_fields(login, people, crm):
    client = login(people.alice)
    url = reverse("account_edit", args=[crm.acme.pk])
    form = client.get(url)
    assert form.status_code == 200 and "Acme Trading Ltd" in form.content.decode()

    response = client.post(
        url,
        {"name": "Acme Group", "country": "ie", "source": "Canton Fair", "lifecycle": "dormant"},
    )
    assert response.status_code == 302
    crm.acme.refresh_from_db()
    assert (crm.acme.name, crm.acme.country, crm.acme.source, crm.acme.lifecycle) == (
        "Acme Group",
        "IE",
        "Canton Fair",
        "dormant",
    )


def test_edit_htmx_swaps_the_header(login, people, crm):
    client = login(people.alice)
    url = reverse("account_edit", args=[crm.acme.pk])
    form = client.get(url, headers=HTMX).content.decode()
    assert "<html" not in form and 'id="account-header"' in form
    data = {"name": "Acme Ltd", "country": "GB", "source": "", "lifecycle": "active"}
    header = client.post(url, data, headers=HTMX).content.decode()
    assert "<html" not in header and "Acme Ltd" in header and "Edit" in header


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "lifecycle": "active"},
        {"name": "Acme", "lifecycle": "immortal"},
        {"name": "Acme", "lifecycle": "active", "country": "C1"},
        {"name": "   ", "lifecycle": "active"},
    ],
)
def test_edit_bad_input_is_an_error(login, people, crm, data):
    response = login(people.alice).post(reverse("account_edit", args=[crm.acme.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    crm.acme.refresh_from_db()
    assert crm.acme.name == "Acme Trading Ltd"


def test_edit_unknown_account_is_404(login, people, crm):
    assert login(people.alice).get(reverse("account_edit", args=[424242])).status_code == 404


# --- Contacts ----------------------------------------------------------------------------------


def test_add_contact(login, people, crm):
    client = login(people.alice)
    response = client.post(
        reverse("contact_create", args=[crm.acme.pk]),
        {"name": "Chen Jie", "email": "Chen.Jie@ACME.co.uk", "title": "CEO"},
    )
    assert response.status_code == 302
    contact = Contact.objects.get(name="Chen Jie")
    assert contact.account == crm.acme and contact.primary_email == "chen.jie@acme.co.uk"
    assert contact.owner == people.alice
    assert "Chen Jie" in client.get(detail_url(crm.acme)).content.decode()


def test_add_contact_htmx(login, people, crm):
    response = login(people.alice).post(
        reverse("contact_create", args=[crm.acme.pk]), {"name": "Dora"}, headers=HTMX
    )
    body = response.content.decode()
    assert "<html" not in body and 'id="account-contacts"' in body and "Dora" in body


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "email": ""},
        {"name": "Dup", "email": "anna@acme.co.uk"},
        {"name": "Bad", "email": "not-an-email"},
    ],
)
def test_add_contact_bad_input_is_an_error(login, people, crm, data):
    client = login(people.alice)
    before = Contact.objects.count()
    response = client.post(reverse("contact_create", args=[crm.acme.pk]), data)
    assert response.status_code == 200
    assert response.context["contact_form"].errors
    htmx = client.post(reverse("contact_create", args=[crm.acme.pk]), data, headers=HTMX)
    assert htmx.status_code == 200 and htmx["HX-Retarget"] == "#account-contacts"
    assert Contact.objects.count() == before
