"""Managing the organisation: teams, users and roles from the CLI and the web, and assigning
customers. Every change needs manage_users (assign: the assign capability), is audited, and
changes what people can do at once."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from keyou.audit.models import AuditAction, AuditEntry
from keyou.crm.models import Account, Contact
from keyou.people.access import SYSTEM, NotAllowed, can, forget_reach
from keyou.people.models import Capability, Role, Team, User
from keyou.people.services import InvalidInput, role_delete, role_save, team_update, user_update
from keyou.web.reauth import SESSION_KEY


def run(*args):
    out = StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def fresh(user) -> User:
    """USER as a new request would load it (no cached reach)."""
    return User.objects.get(pk=user.pk)


def audits(action, obj) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            action=action, object_type=obj._meta.model_name, object_id=str(obj.pk)
        ).order_by("id")
    )


# --- CLI ------------------------------------------------------------------------------


def test_cli_builds_the_tree_and_lists_it_with_members(db):
    run("team", "add", "Demo Trading")
    run("team", "add", "Sales", "--parent", "Demo Trading")
    europe = run("team", "add", "Europe", "--parent", "Sales")
    assert europe["parent"] == "Sales"
    lead = run(
        "user",
        "add",
        "erik",
        "--email",
        "erik@demo.com",
        "--team",
        "Europe",
        "--role",
        "team_lead",
        "--region",
        "de, FR,EU",
    )
    assert (lead["team"], lead["role"], lead["regions"]) == (
        "Europe",
        "team_lead",
        ["DE", "FR", "EU"],
    )
    assert run("team", "set", "Europe", "--manager", "erik")["manager"] == "erik"

    tree = run("team", "list")["teams"]
    assert [t["name"] for t in tree] == ["Demo Trading"]
    sales = tree[0]["children"][0]
    europe_node = sales["children"][0]
    assert (sales["name"], europe_node["name"], europe_node["manager"]) == (
        "Sales",
        "Europe",
        "erik",
    )
    assert europe_node["members"][0]["username"] == "erik"
    assert europe_node["members"][0]["role"] == "team_lead"
    # The CLI acts as the system, and its changes are audited too.
    assert (
        AuditEntry.objects.filter(action=AuditAction.USER_CHANGE, object_type="team").count() == 4
    )


def test_cli_user_set_and_list(people):
    carol = run(
        "user",
        "set",
        "carol",
        "--role",
        "regional_manager",
        "--region",
        "CN,JP",
        "--team",
        "Europe",
    )
    assert (carol["role"], carol["regions"], carol["team"]) == (
        "regional_manager",
        ["CN", "JP"],
        "Europe",
    )
    assert run("user", "set", "carol", "--inactive")["active"] is False
    assert User.objects.get(username="carol").is_active is False
    rows = {r["username"]: r for r in run("user", "list")}
    assert rows["carol"]["active"] is False
    assert rows["admin"]["admin"] is True and rows["alice"]["role"] == "team_lead"
    [entry, *_] = audits(AuditAction.USER_CHANGE, people.carol)
    assert entry.actor is None and entry.actor_name == "system"
    assert entry.data["before"]["role"] is None
    assert entry.data["after"]["role"] == "regional_manager"


def test_cli_role_list(people, staff):
    rows = {r["slug"]: r for r in run("role", "list")}
    assert set(rows) >= {"admin", "director", "regional_manager", "team_lead", "salesperson"}
    assert rows["team_lead"]["users"] == 2  # alice, bob
    assert rows["regional_manager"]["by_region"] is True
    assert rows["salesperson"]["scope"] == "own"
    assert "export" in rows["team_lead"]["capabilities"]
    assert "export" not in rows["salesperson"]["capabilities"]


def test_cli_errors_name_what_was_wrong(people):
    with pytest.raises(CommandError, match="no role 'boss'; roles: .*team_lead"):
        run("user", "add", "x", "--email", "x@demo.com", "--role", "boss")
    with pytest.raises(CommandError, match="'Atlantis' is neither a country code"):
        run("user", "add", "x", "--email", "x@demo.com", "--region", "Atlantis")
    with pytest.raises(CommandError, match="no team 'Mars'; teams: .*Europe"):
        run("user", "set", "carol", "--team", "Mars")
    with pytest.raises(CommandError, match="no team 'Mars'"):
        run("team", "add", "Phobos", "--parent", "Mars")
    with pytest.raises(CommandError, match="no user 'ghost'"):
        run("user", "set", "ghost", "--inactive")
    with pytest.raises(CommandError, match="nothing to change"):
        run("user", "set", "carol")
    assert not User.objects.filter(username="x").exists()
    assert not Team.objects.filter(name="Phobos").exists()


def test_cli_assigns_an_account_with_its_contacts(people, crm):
    data = run("accounts", "assign", str(crm.globex.pk), "--owner", "bob")
    assert (data["owner"], data["team"]) == ("bob", "Europe")
    assert Contact.objects.get(pk=crm.li.pk).owner_id == people.bob.pk
    [entry] = audits(AuditAction.ASSIGN, crm.globex)
    assert entry.data["from"] == {"owner": "carol", "team": "Asia"}
    assert entry.data["to"] == {"owner": "bob", "team": "Europe"}
    with pytest.raises(CommandError, match="not found"):
        run("accounts", "assign", "999999", "--owner", "bob")
    people.carol.is_active = False
    people.carol.save()
    with pytest.raises(CommandError, match="carol is not an active user"):
        run("accounts", "assign", str(crm.acme.pk), "--owner", "carol")


# --- Services -------------------------------------------------------------------------


def test_a_team_cannot_move_inside_itself(people, staff):
    sales, europe = Team.objects.get(name="Sales"), Team.objects.get(name="Europe")
    with pytest.raises(InvalidInput, match="cannot be inside itself"):
        team_update(actor=people.admin, team=sales, parent=europe)
    with pytest.raises(InvalidInput, match="cannot be inside itself"):
        team_update(actor=people.admin, team=sales, parent=sales)
    sales.refresh_from_db()
    assert sales.parent.name == "Demo Trading"
    team_update(actor=people.admin, team=europe, parent=None)  # to the top is fine
    assert Team.objects.get(name="Europe").parent is None


def test_only_managers_of_users_change_the_organisation(people, staff):
    with pytest.raises(NotAllowed):
        user_update(actor=people.alice, user=people.carol, role="director")
    with pytest.raises(NotAllowed):
        role_save(actor=staff.dora, slug="boss", name="Boss", capabilities=[], scope="all")
    assert fresh(people.carol).role is None  # still the default (salesperson)


def test_the_admin_role_makes_superusers_and_keeps_everything(people):
    carol = user_update(actor=people.admin, user=people.carol, role="admin")
    assert carol.is_superuser and carol.is_staff
    carol = user_update(actor=people.admin, user=carol, role="salesperson")
    assert not carol.is_superuser and not carol.is_staff
    admin_role = Role.objects.get(slug="admin")
    with pytest.raises(InvalidInput, match="admin role always has every capability"):
        role_save(
            actor=people.admin,
            role=admin_role,
            slug="admin",
            name="Admin",
            capabilities=["view_customers"],
            scope="all",
            by_region=False,
        )
    with pytest.raises(InvalidInput, match="last active admin"):
        user_update(actor=people.admin, user=people.admin, role="director")
    assert fresh(people.admin).is_superuser


def test_roles_are_checked_and_only_unused_custom_ones_deleted(people):
    with pytest.raises(InvalidInput, match="unknown capabilities fly"):
        role_save(actor=people.admin, slug="pilot", name="Pilot", capabilities=["fly"], scope="own")
    with pytest.raises(InvalidInput, match="scope must be one of"):
        role_save(actor=people.admin, slug="pilot", name="Pilot", capabilities=[], scope="moon")
    pilot = role_save(
        actor=people.admin,
        slug="pilot",
        name="Pilot",
        description="",
        capabilities=["view_customers", "export"],
        scope="team",
        by_region=False,
    )
    assert not pilot.builtin
    with pytest.raises(InvalidInput, match="cannot be deleted"):
        role_delete(actor=people.admin, role=Role.objects.get(slug="team_lead"))
    user_update(actor=people.admin, user=people.carol, role=pilot)
    with pytest.raises(InvalidInput, match="still have the role"):
        role_delete(actor=people.admin, role=pilot)
    user_update(actor=people.admin, user=people.carol, role="salesperson")
    pilot_id = pilot.pk
    role_delete(actor=people.admin, role=pilot)
    assert not Role.objects.filter(slug="pilot").exists()
    changes = AuditEntry.objects.filter(action=AuditAction.ROLE_CHANGE, object_id=str(pilot_id))
    assert [
        (e.data["before"] is None, e.data["after"] is None) for e in changes.order_by("id")
    ] == [
        (True, False),
        (False, True),
    ]


# --- Web: who may see the pages -----------------------------------------------------------


def _pages(people, staff):
    return {
        "lists": [
            reverse("people_tree"),
            reverse("people_role_list"),
            reverse("people_user_new"),
            reverse("people_team_new"),
            reverse("people_role_new"),
        ],
        "records": [
            reverse("people_user_edit", args=[people.alice.pk]),
            reverse("people_team_edit", args=[Team.objects.get(name="Europe").pk]),
            reverse("people_role_edit", args=[Role.objects.get(slug="team_lead").pk]),
        ],
    }


def test_people_pages_render_for_an_admin(people, staff, login):
    admin = login(people.admin)
    pages = _pages(people, staff)
    for url in pages["lists"] + pages["records"]:
        assert admin.get(url).status_code == 200, url
    tree = admin.get(reverse("people_tree")).content.decode()
    for text in ("Demo Trading", "Sales", "Europe", "Asia", "alice", "carol", "EU"):
        assert text in tree
    assert reverse("people_user_edit", args=[people.carol.pk]) in tree
    matrix = admin.get(reverse("people_role_list")).content.decode()
    assert "Manage users, teams and roles" in matrix and "Team and sub-teams" in matrix
    assert matrix.count("✓") >= len(Capability.values)  # the admin column alone


def test_people_pages_are_closed_to_others(people, staff, login):
    pages = _pages(people, staff)
    for user in (people.carol, people.alice, staff.dora):
        client = login(user)
        for url in pages["lists"]:
            assert client.get(url).status_code == 403, (user, url)
            assert client.post(url, {"name": "x"}).status_code == 403, (user, url)
        for url in pages["records"]:  # a page naming a user, team or role: as if missing
            assert client.get(url).status_code == 404, (user, url)
            assert client.post(url, {"name": "x"}).status_code == 404, (user, url)
    assert not Team.objects.filter(name="x").exists()


# --- Web: changes ---------------------------------------------------------------------------


def _role_post(role: Role, **changes) -> dict:
    data = {
        "slug": role.slug,
        "name": role.name,
        "description": role.description,
        "capabilities": list(role.capabilities),
        "scope": role.scope,
    }
    if role.by_region:
        data["by_region"] = "on"
    return {**data, **changes}


def test_editing_a_role_changes_what_its_users_can_do(people, login):
    team_lead = Role.objects.get(slug="team_lead")
    assert can(fresh(people.alice), Capability.EXPORT)
    caps = [c for c in team_lead.capabilities if c != Capability.EXPORT]
    url = reverse("people_role_edit", args=[team_lead.pk])
    response = login(people.admin).post(url, _role_post(team_lead, capabilities=caps))
    assert response.status_code == 302
    assert not can(fresh(people.alice), Capability.EXPORT)
    assert can(fresh(people.alice), Capability.ASSIGN)  # the rest stays
    [entry] = audits(AuditAction.ROLE_CHANGE, team_lead)
    assert "export" in entry.data["before"]["capabilities"]
    assert "export" not in entry.data["after"]["capabilities"]
    assert entry.actor == people.admin


def test_a_new_role_from_the_web(people, login):
    admin = login(people.admin)
    response = admin.post(
        reverse("people_role_new"),
        {
            "slug": "auditor",
            "name": "Auditor",
            "capabilities": ["view_customers", "view_audit"],
            "scope": "all",
        },
    )
    assert response.status_code == 302
    auditor = Role.objects.get(slug="auditor")
    assert (auditor.capabilities, auditor.scope, auditor.by_region) == (
        ["view_audit", "view_customers"],
        "all",
        False,
    )
    page = admin.get(reverse("people_role_edit", args=[auditor.pk])).content.decode()
    assert "View the audit log" in page  # capability labels from Capability's choices
    bad = admin.post(
        reverse("people_role_new"), {"slug": "auditor", "name": "Again", "scope": "all"}
    )
    assert bad.status_code == 200 and "there is already a role" in bad.content.decode()


def test_the_admin_role_cannot_be_narrowed_from_the_web(people, login):
    admin_role = Role.objects.get(slug="admin")
    url = reverse("people_role_edit", args=[admin_role.pk])
    response = login(people.admin).post(url, _role_post(admin_role, capabilities=["export"]))
    assert response.status_code == 200
    assert "always has every capability" in response.content.decode()
    admin_role.refresh_from_db()
    assert set(admin_role.capabilities) == set(Capability.values)


def test_editing_a_user_from_the_web(people, crm, staff, login):
    europe = Team.objects.get(name="Europe")
    regional = Role.objects.get(slug="regional_manager")
    url = reverse("people_user_edit", args=[people.carol.pk])
    form = {
        "email": "carol@demo-trading.com",
        "first_name": "Carol",
        "last_name": "Chen",
        "team": europe.pk,
        "role": regional.pk,
        "regions": "cn, DE, EU",
        "is_active": "on",
    }
    response = login(people.admin).post(url, form)
    assert response.status_code == 302
    carol = fresh(people.carol)
    assert (carol.team, carol.role, carol.regions) == (europe, regional, ["CN", "DE", "EU"])
    assert carol.is_active
    [entry] = audits(AuditAction.USER_CHANGE, carol)
    assert entry.data["after"]["role"] == "regional_manager"
    assert entry.data["before"]["team"] == "Asia"
    # She now sees by region: Initech (DE) and Globex (her own, CN), not Acme (GB).
    from keyou.crm.selectors import accounts_visible_to

    assert set(accounts_visible_to(carol).values_list("name", flat=True)) == {
        "Initech GmbH",
        "Globex Shanghai",
    }

    bad = login(people.admin).post(url, {**form, "regions": "CN, Atlantis"})
    assert bad.status_code == 200 and "neither a country code" in bad.content.decode()
    deactivated = login(people.admin).post(url, {**form, "is_active": ""})
    assert deactivated.status_code == 302
    assert not fresh(people.carol).is_active


def test_adding_a_user_from_the_web(people, staff, login):
    asia, support = Team.objects.get(name="Asia"), Role.objects.get(slug="support")
    form = {
        "username": "wang",
        "email": "wang@demo-trading.com",
        "first_name": "Wang",
        "last_name": "Fang",
        "team": asia.pk,
        "role": support.pk,
        "regions": "CN",
        "password": "a long enough passphrase",
    }
    assert login(people.admin).post(reverse("people_user_new"), form).status_code == 302
    wang = User.objects.get(username="wang")
    assert (wang.team, wang.role, wang.regions) == (asia, support, ["CN"])
    assert wang.check_password("a long enough passphrase")
    [entry] = audits(AuditAction.USER_CHANGE, wang)
    assert entry.data["before"] is None and entry.data["after"]["role"] == "support"
    again = login(people.admin).post(reverse("people_user_new"), form)
    assert again.status_code == 200 and "username is taken" in again.content.decode()


def test_teams_from_the_web_and_no_cycles(people, staff, login):
    admin = login(people.admin)
    sales = Team.objects.get(name="Sales")
    response = admin.post(
        reverse("people_team_new"),
        {"name": "Americas", "parent": sales.pk, "manager": people.bob.pk},
    )
    assert response.status_code == 302
    americas = Team.objects.get(name="Americas")
    assert (americas.parent, americas.manager) == (sales, people.bob)
    # Sales cannot move under its own sub-team: not even offered, and refused if sent.
    url = reverse("people_team_edit", args=[sales.pk])
    offered = admin.get(url).context["form"].fields["parent"].queryset
    assert (
        americas not in offered
        and sales not in offered
        and Team.objects.get(name="Demo Trading") in offered
    )
    refused = admin.post(url, {"name": "Sales", "parent": americas.pk})
    assert refused.status_code == 200
    assert Team.objects.get(name="Sales").parent.name == "Demo Trading"
    [created] = audits(AuditAction.USER_CHANGE, americas)
    assert created.data["after"] == {"name": "Americas", "parent": "Sales", "manager": "bob"}


def test_role_and_user_changes_ask_for_the_password_again(people, login):
    admin = login(people.admin)
    session = admin.session
    session[SESSION_KEY] = 1  # logged in long ago
    session.save()
    url = reverse("people_user_edit", args=[people.carol.pk])
    assert admin.get(url).status_code == 200  # looking is fine
    response = admin.post(url, {"email": "c@demo-trading.com", "role": 1})
    assert response.status_code == 302 and response["Location"].startswith(reverse("reauth"))
    assert fresh(people.carol).email == "carol@demo-trading.com"
    team_lead = Role.objects.get(slug="team_lead")
    response = admin.post(
        reverse("people_role_edit", args=[team_lead.pk]), _role_post(team_lead, capabilities=[])
    )
    assert response["Location"].startswith(reverse("reauth"))
    assert Role.objects.get(slug="team_lead").capabilities == team_lead.capabilities


# --- Web: assigning an account ----------------------------------------------------------------


def test_assigning_from_the_account_page(people, crm, login):
    alice = login(people.alice)
    page = alice.get(reverse("account_detail", args=[crm.acme.pk])).content.decode()
    assign_url = reverse("account_assign", args=[crm.acme.pk])
    assert f'action="{assign_url}"' in page
    response = alice.post(assign_url, {"owner": people.bob.pk})
    assert response.status_code == 302
    acme = Account.objects.get(pk=crm.acme.pk)
    assert (acme.owner, acme.team) == (people.bob, people.bob.team)
    assert set(Contact.objects.filter(account=acme).values_list("owner_id", flat=True)) == {
        people.bob.pk
    }
    [entry] = audits(AuditAction.ASSIGN, acme)
    assert entry.actor == people.alice
    assert (entry.data["from"]["owner"], entry.data["to"]["owner"]) == ("alice", "bob")


def test_assigning_to_another_team_moves_the_contacts_there(people, crm, login):
    response = login(people.admin).post(
        reverse("account_assign", args=[crm.acme.pk]), {"owner": people.carol.pk}
    )
    assert response.status_code == 302
    assert set(Contact.objects.filter(account=crm.acme).values_list("team__name", flat=True)) == {
        "Asia"
    }
    forget_reach(people.carol)
    carol = login(fresh(people.carol))
    assert carol.get(reverse("account_detail", args=[crm.acme.pk])).status_code == 200
    assert carol.get(reverse("contact_detail", args=[crm.anna.pk])).status_code == 200


def test_assigning_out_of_scope_is_404_and_without_the_capability_403(people, crm, login):
    alice = login(people.alice)
    response = alice.post(reverse("account_assign", args=[crm.globex.pk]), {"owner": people.bob.pk})
    assert response.status_code == 404  # carol's customer in Asia: alice cannot see it
    carol = login(people.carol)
    own = carol.post(reverse("account_assign", args=[crm.globex.pk]), {"owner": people.bob.pk})
    assert own.status_code == 403  # her own customer, but a salesperson may not assign
    other = carol.post(reverse("account_assign", args=[crm.acme.pk]), {"owner": people.carol.pk})
    assert other.status_code == 404
    page = carol.get(reverse("account_detail", args=[crm.globex.pk])).content.decode()
    assert reverse("account_assign", args=[crm.globex.pk]) not in page
    assert Account.objects.get(pk=crm.globex.pk).owner == people.carol
    assert Account.objects.get(pk=crm.acme.pk).owner == people.alice
    assert not AuditEntry.objects.filter(action=AuditAction.ASSIGN).exists()


def test_the_system_may_assign_anything(people, crm):
    from keyou.crm.services import accounts_assign

    accounts_assign(actor=SYSTEM, account=crm.initech.pk, owner=people.alice)
    assert Account.objects.get(pk=crm.initech.pk).owner == people.alice
