"""Temporary grants (临时权限) and access requests: who may give them, what they open, audit."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from keyou.audit.models import AuditAction, AuditEntry
from keyou.audit.services import record_view
from keyou.crm.models import Note
from keyou.crm.selectors import NotFound, account_get_for, accounts_visible_to
from keyou.people.access import NotAllowed
from keyou.people.grants import (
    access_request_create,
    access_request_decide,
    access_requests_for,
    grant_add,
    grant_revoke,
    grants_expire_sweep,
)
from keyou.people.models import AccessGrant, AccessRequest, Notification, Team, User
from keyou.people.services import InvalidInput

MISSING = 987654  # an account id that names nothing


def fresh(user) -> User:
    """The user as a new request would load them (no cached reach)."""
    return User.objects.get(pk=user.pk)


def sees(user, account) -> bool:
    return accounts_visible_to(fresh(user)).filter(pk=account.pk).exists()


def in_an_hour() -> datetime:
    return timezone.now() + timedelta(hours=1)


@pytest.fixture
def managers(people, staff):
    """Alice manages team Europe (bob and sid are in it); Asia has no manager of its own."""
    Team.objects.filter(name="Europe").update(manager=people.alice)
    return people


def entries(action: str, **filters):
    return AuditEntry.objects.filter(action=action, **filters)


# --- Expiry and audit ----------------------------------------------------------------


def test_a_grant_works_before_expiry_and_not_after(people, crm):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        grant_add(
            actor=people.admin,
            user=people.carol,
            accounts=[crm.acme.pk],
            until=start + timedelta(hours=2),
        )
        assert sees(people.carol, crm.acme)
        assert not sees(people.carol, crm.initech)  # only what was shared
    with time_machine.travel(start + timedelta(hours=1, minutes=59), tick=False):
        assert sees(people.carol, crm.acme)
    with time_machine.travel(start + timedelta(hours=2, seconds=1), tick=False):
        assert not sees(people.carol, crm.acme)
        assert sees(people.carol, crm.globex)  # her own stay


def test_a_cached_reach_never_outlives_the_grant(people, crm):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    carol = fresh(people.carol)
    with time_machine.travel(start, tick=False):
        grant_add(
            actor=people.admin, user=carol, accounts=[crm.acme], until=start + timedelta(seconds=5)
        )
        assert accounts_visible_to(carol).filter(pk=crm.acme.pk).exists()
    with time_machine.travel(start + timedelta(seconds=6), tick=False):
        # The same object, within the 30 s cache: the expiry still ends it.
        assert not accounts_visible_to(carol).filter(pk=crm.acme.pk).exists()


def test_creation_use_and_expiry_are_audited(managers, crm, login):
    people = managers
    start = timezone.now()
    grant = grant_add(
        actor=people.alice,
        user=people.carol,
        accounts=["acme.co.uk"],  # a domain works as well as an id
        until=start + timedelta(hours=1),
        reason="covering the spring fair",
    )
    created = entries(AuditAction.GRANT_CREATE).get()
    assert created.actor_id == people.alice.pk
    assert (created.object_type, created.object_id) == ("accessgrant", str(grant.pk))
    assert created.data["accounts"] == [crm.acme.pk]
    assert created.data["user"] == "carol" and created.data["edit"] is False
    assert created.data["until"] == grant.expires_at.isoformat()

    # Use: carol opens acme's page thanks to the grant.
    response = login(people.carol).get(f"/accounts/{crm.acme.pk}/")
    assert response.status_code == 200
    use = entries(AuditAction.GRANT_USE).get()
    assert use.actor_id == people.carol.pk and use.object_id == str(crm.acme.pk)
    assert entries(AuditAction.VIEW, actor=people.carol, object_type="account").count() == 1
    # alice owns acme: her views are views, not grant uses.
    assert login(people.alice).get(f"/accounts/{crm.acme.pk}/").status_code == 200
    record_view(fresh(people.alice), crm.acme)
    assert entries(AuditAction.GRANT_USE).count() == 1

    # Expiry: one entry, written once.
    assert grants_expire_sweep() == 0  # not expired yet
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        assert grants_expire_sweep() == 1
        assert grants_expire_sweep() == 0
    expired = entries(AuditAction.GRANT_EXPIRE).get()
    assert expired.actor_id is None and expired.actor_name == "system"
    assert expired.object_id == str(grant.pk)
    grant.refresh_from_db()
    assert grant.expiry_audited is True


def test_a_revoked_grant_ends_at_once_and_is_not_swept(people, crm):
    grant = grant_add(
        actor=people.admin, user=people.carol, accounts=[crm.acme], until=in_an_hour()
    )
    assert sees(people.carol, crm.acme)
    grant_revoke(actor=people.admin, grant=grant)
    assert not sees(people.carol, crm.acme)
    assert entries(AuditAction.GRANT_REVOKE, object_id=str(grant.pk)).count() == 1
    with pytest.raises(InvalidInput):
        grant_revoke(actor=people.admin, grant=grant)
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        assert grants_expire_sweep() == 0


def test_the_periodic_task_runs_the_sweep(people, crm):
    from keyou.people.tasks import grants_expire

    start = timezone.now()
    grant_add(actor=people.admin, user=people.carol, accounts=[crm.acme], until=in_an_hour())
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        grants_expire.call_local()
    assert entries(AuditAction.GRANT_EXPIRE).count() == 1


# --- Who may grant what ----------------------------------------------------------------


def test_a_salesperson_cannot_grant(people, crm, login):
    with pytest.raises(NotAllowed):
        grant_add(actor=people.carol, user=people.bob, accounts=[crm.globex], until=in_an_hour())
    carol = login(people.carol)
    page = carol.get("/grants/")
    assert page.status_code == 200 and 'action="/grants/new/"' not in page.content.decode()
    response = carol.post(
        "/grants/new/",
        {"user": people.bob.pk, "accounts": str(crm.globex.pk), "access": "read",
         "until": "2030-01-01T10:00"},
    )  # fmt: skip
    assert response.status_code == 403
    assert carol.get("/access-requests/").status_code == 403
    assert not AccessGrant.objects.exists()


def test_a_team_lead_cannot_grant_outside_their_scope(managers, crm, staff):
    people = managers
    with pytest.raises(NotFound) as outside:
        grant_add(actor=people.alice, user=staff.sid, accounts=[crm.globex.pk], until=in_an_hour())
    with pytest.raises(NotFound) as missing:
        grant_add(actor=people.alice, user=staff.sid, accounts=[MISSING], until=in_an_hour())
    # The same words for an account out of scope and one that does not exist.
    assert str(outside.value).replace(str(crm.globex.pk), "N") == str(missing.value).replace(
        str(MISSING), "N"
    )
    asia = Team.objects.get(name="Asia")
    with pytest.raises(NotAllowed):
        grant_add(actor=people.alice, user=staff.sid, team=asia, until=in_an_hour())
    # Her own team and her own accounts she may share.
    europe = Team.objects.get(name="Europe")
    grant_add(actor=people.alice, user=people.carol, team=europe, until=in_an_hour())
    assert sees(people.carol, crm.initech)
    # Access alice only borrowed she cannot pass on.
    grant_add(actor=people.admin, user=people.alice, accounts=[crm.globex], until=in_an_hour())
    with pytest.raises(NotAllowed, match="only through temporary access"):
        grant_add(
            actor=fresh(people.alice), user=staff.sid, accounts=[crm.globex], until=in_an_hour()
        )
    with pytest.raises(NotFound):
        grant_add(actor=people.alice, user=staff.sid, accounts=["9" * 25], until=in_an_hour())
    # bob leads Europe by role but manages no team: no grants from him.
    with pytest.raises(NotAllowed):
        grant_add(actor=people.bob, user=staff.sid, accounts=[crm.initech], until=in_an_hour())


def test_a_grant_cannot_be_endless_backdated_or_to_oneself(people, crm):
    now = timezone.now()
    for until in (now - timedelta(minutes=1), now + timedelta(days=91)):
        with pytest.raises(InvalidInput):
            grant_add(actor=people.admin, user=people.carol, accounts=[crm.acme], until=until)
    grant_add(
        actor=people.admin, user=people.carol, accounts=[crm.acme], until=now + timedelta(days=89)
    )
    with pytest.raises(InvalidInput):
        grant_add(actor=people.admin, user=people.admin, accounts=[crm.acme], until=in_an_hour())
    with pytest.raises(InvalidInput):
        grant_add(actor=people.admin, user=people.carol, until=in_an_hour())  # nothing shared


def test_a_read_only_grant_refuses_edits(people, crm, login):
    grant_add(actor=people.admin, user=people.carol, accounts=[crm.acme], until=in_an_hour())
    assert account_get_for(fresh(people.carol), crm.acme.pk) == crm.acme
    with pytest.raises(NotAllowed):
        account_get_for(fresh(people.carol), crm.acme.pk, write=True)
    response = login(people.carol).post(f"/accounts/{crm.acme.pk}/notes/", {"body": "mine now"})
    assert response.status_code == 403
    assert not Note.objects.filter(body="mine now").exists()


def test_an_edit_grant_needs_a_granter_who_may_edit(managers, crm, staff):
    people = managers
    grant_add(
        actor=people.alice, user=staff.sid, accounts=[crm.acme], until=in_an_hour(), edit=True
    )
    assert account_get_for(fresh(staff.sid), crm.acme.pk, write=True) == crm.acme
    # fiona (finance) sees every account but may not edit: she cannot give edit access.
    Team.objects.filter(name="Sales").update(manager=staff.fiona)
    with pytest.raises(NotAllowed):
        grant_add(
            actor=staff.fiona, user=staff.sid, accounts=[crm.initech], until=in_an_hour(), edit=True
        )


# --- The web pages -----------------------------------------------------------------------


def test_the_grants_page_gives_and_revokes_in_the_users_time_zone(managers, crm, staff, login):
    people = managers
    people.alice.time_zone = "Europe/Berlin"
    people.alice.save()
    alice = login(people.alice)
    page = alice.get("/grants/")
    assert page.status_code == 200 and 'action="/grants/new/"' in page.content.decode()
    until = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    local = until.astimezone(ZoneInfo("Europe/Berlin"))  # what alice types and reads
    response = alice.post(
        "/grants/new/",
        {
            "user": staff.sid.pk,
            "accounts": f"{crm.acme.pk}, initech.de",
            "access": "read",
            "until": local.strftime("%Y-%m-%dT%H:%M"),
            "reason": "holiday cover",
        },
    )
    assert response.status_code == 302
    grant = AccessGrant.objects.get()
    assert grant.expires_at == until
    assert set(grant.accounts.values_list("pk", flat=True)) == {crm.acme.pk, crm.initech.pk}
    assert entries(AuditAction.GRANT_CREATE).get().ip == "127.0.0.1"
    listed = alice.get("/grants/").content.decode()
    assert "holiday cover" in listed and local.strftime("%Y-%m-%d %H:%M") in listed
    sid_page = login(staff.sid).get("/grants/").content.decode()
    assert "Acme Trading Ltd" in sid_page and "holiday cover" in sid_page

    assert alice.post(f"/grants/{grant.pk}/revoke/").status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    carol = login(people.carol)  # neither gave nor holds it: the grant is not there for her
    assert carol.get(f"/grants/{grant.pk}/revoke/").status_code == 404
    assert carol.post(f"/grants/{grant.pk}/revoke/").status_code == 404
    assert alice.get(f"/grants/{grant.pk}/revoke/").status_code == 302


def test_the_grant_form_says_the_same_for_a_missing_and_an_unseen_account(managers, crm, staff,
                                                                          login):  # fmt: skip
    alice = login(managers.alice)

    def error_for(ref: str) -> str:
        body = alice.post(
            "/grants/new/",
            {"user": staff.sid.pk, "accounts": ref, "access": "read",
             "until": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")},
        ).content.decode()  # fmt: skip
        return re.search(r'class="form-errors"[^>]*>(.*?)</div>', body, re.S).group(1)

    outside, missing = error_for(str(crm.globex.pk)), error_for(str(MISSING))
    assert "No customer" in outside
    assert outside.replace(str(crm.globex.pk), "N") == missing.replace(str(MISSING), "N")
    assert not AccessGrant.objects.exists()


def _normalized_404(body: str, number: int) -> str:
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", body)
    body = re.sub(r'"X-CSRFToken": "[^"]+"', "CSRF", body)
    return body.replace(f"#{number} ", "#N ").replace(f'value="{number}"', 'value="N"')


def test_the_404_page_is_the_same_for_a_missing_and_an_out_of_scope_account(people, crm, login):
    carol = login(people.carol)
    outside = carol.get(f"/accounts/{crm.acme.pk}/")
    missing = carol.get(f"/accounts/{MISSING}/")
    assert outside.status_code == missing.status_code == 404
    body = outside.content.decode()
    assert "Request access" in body and 'action="/access-requests/new/"' in body
    assert "Acme" not in body
    assert _normalized_404(body, crm.acme.pk) == _normalized_404(missing.content.decode(), MISSING)
    # Other pages that are not found offer nothing to request.
    other = carol.get("/no-such-page/")
    assert other.status_code == 404 and "Request access" not in other.content.decode()


def test_an_access_request_from_the_404_page_ends_in_a_working_grant(managers, crm, staff, login):
    people = managers
    sid = login(staff.sid)
    page = sid.get(f"/accounts/{crm.acme.pk}/")
    assert page.status_code == 404
    # The form on the 404 page posts the id and a reason.
    assert f'name="account_id" value="{crm.acme.pk}"' in page.content.decode()
    sent = sid.post(
        "/access-requests/new/", {"account_id": crm.acme.pk, "reason": "Anna wrote to me"}
    )
    assert sent.status_code == 302
    request = AccessRequest.objects.get()
    assert (request.requester, request.account_id) == (staff.sid, crm.acme.pk)
    assert entries(AuditAction.ACCESS_REQUEST, object_id=str(request.pk)).exists()
    told = Notification.objects.filter(kind="access_request")
    assert set(told.values_list("recipient__username", flat=True)) == {"alice", "admin"}
    assert told.filter(recipient=people.alice, url="/access-requests/").exists()

    alice = login(people.alice)
    listing = alice.get("/access-requests/").content.decode()
    assert "Acme Trading Ltd" in listing and "Anna wrote to me" in listing
    # bob (no team to manage) and carol may decide nothing.
    assert access_requests_for(fresh(people.bob)) == []
    carol = login(people.carol)
    assert carol.get(f"/access-requests/{request.pk}/decide/").status_code == 404
    assert carol.post(f"/access-requests/{request.pk}/decide/").status_code == 404
    assert alice.get(f"/access-requests/{request.pk}/decide/").status_code == 302
    until = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    decided = alice.post(
        f"/access-requests/{request.pk}/decide/", {"decision": "grant", "until": until}
    )
    assert decided.status_code == 302
    request.refresh_from_db()
    assert request.status == AccessRequest.Status.GRANTED and request.decided_by == people.alice
    assert request.grant is not None and request.grant.user == staff.sid
    assert sid.get(f"/accounts/{crm.acme.pk}/").status_code == 200
    assert Notification.objects.filter(recipient=staff.sid, kind="access_granted").exists()
    assert (
        alice.post(f"/access-requests/{request.pk}/decide/", {"decision": "refuse"}).status_code
        == 302
    )
    request.refresh_from_db()
    assert request.status == AccessRequest.Status.GRANTED  # decided once only


def test_a_request_never_confirms_the_account_exists(managers, crm, staff, login):
    people = managers
    sid = login(staff.sid)
    answers = [
        sid.post("/access-requests/new/", {"account_id": n, "reason": "?"}, follow=True)
        for n in (crm.acme.pk, MISSING)
    ]
    assert [a.status_code for a in answers] == [200, 200]
    said = [re.search(r'<ul class="flash">(.*?)</ul>', a.content.decode(), re.S).group(1)
            for a in answers]  # fmt: skip
    assert said[0] == said[1]
    assert AccessRequest.objects.count() == 2
    texts = Notification.objects.filter(recipient=people.alice).values_list("text", flat=True)
    assert not any("Acme" in t for t in texts)
    # The decider sees the name only of the one that exists (and is in her scope).
    rows = {r.request.account_id: r for r in access_requests_for(fresh(people.alice))}
    assert rows[crm.acme.pk].account_name == "Acme Trading Ltd"
    assert rows[MISSING].account_name == "" and not rows[MISSING].may_grant
    missing = rows[MISSING].request
    with pytest.raises(NotFound):
        access_request_decide(actor=fresh(people.alice), request=missing, grant=True,
                              until=in_an_hour())  # fmt: skip
    # An admin (who sees everything) may clear it by refusing.
    access_request_decide(actor=people.admin, request=missing, grant=False)
    assert Notification.objects.filter(recipient=staff.sid, kind="access_refused").exists()


def test_a_request_goes_to_the_manager_above_when_the_requester_manages_the_team(managers, crm):
    people = managers
    Team.objects.filter(name="Sales").update(manager=people.bob)
    access_request_create(requester=people.alice, account_id=crm.globex.pk, reason="")
    told = Notification.objects.filter(kind="access_request")
    assert set(told.values_list("recipient__username", flat=True)) == {"bob", "admin"}


# --- The command line -------------------------------------------------------------------


def run(*args) -> object:
    out = io.StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_cli_grant_add_list_revoke(managers, crm, staff):
    until = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    added = run("grant", "add", "--user", "carol", "--account", str(crm.acme.pk),
                "--account", "initech.de", "--until", until.isoformat(), "--reason", "audit")  # fmt: skip
    assert {a["name"] for a in added["accounts"]} == {"Acme Trading Ltd", "Initech GmbH"}
    assert added["granted_by"] is None and added["state"] == "active"
    assert sees(managers.carol, crm.initech)
    assert entries(AuditAction.GRANT_CREATE).get().actor_name == "system"

    with pytest.raises(CommandError, match="at most 90 days"):
        run("grant", "add", "--user", "sid", "--team", "Europe", "--until", "2099-01-01")
    with pytest.raises(CommandError, match="No customer"):
        run("grant", "add", "--user", "sid", "--account", str(crm.globex.pk),
            "--until", until.isoformat(), "--by", "alice")  # fmt: skip
    by_alice = run("grant", "add", "--user", "sid", "--team", "Europe", "--edit",
                   "--until", until.isoformat(), "--by", "alice")  # fmt: skip
    assert (by_alice["granted_by"], by_alice["team"], by_alice["edit"]) == ("alice", "Europe", True)

    listed = run("grant", "list", "--user", "carol")
    assert [g["id"] for g in listed] == [added["id"]]
    assert len(run("grant", "list", "--active")) == 2

    revoked = run("grant", "revoke", str(added["id"]))
    assert revoked["state"] == "revoked"
    assert not sees(managers.carol, crm.initech)
    assert [g["id"] for g in run("grant", "list", "--active")] == [by_alice["id"]]
    with pytest.raises(CommandError, match="already ended"):
        run("grant", "revoke", str(added["id"]))
    with pytest.raises(CommandError, match="no grant"):
        run("grant", "revoke", "999999")
