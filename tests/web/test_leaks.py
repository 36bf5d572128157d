"""Nothing of a customer leaks to a user outside its scope, through any URL.

Every URL pattern and every OpenAPI path that takes an object id is asked for, with
every method, by carol (team Asia) about alice's customer acme (team Europe): each
answer must be a 404 (or a 405 that is the same for any id) and must not contain the
customer's data. A new URL with an id fails this test until it is listed in
`OBJECTS` below, so new endpoints are covered as they are added.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from keyou.api.services import token_create
from keyou.mail.ingest import mail_ingest
from keyou.mail.models import Attachment, MailFolder, Message, OutgoingMessage
from keyou.mail.sources import RawItem
from tests.api.helpers import ApiClient

SECRETS = ("Acme Trading", "Quotation request", "anna@acme.co.uk", "invoice-acme.pdf")


def _patterns(resolver: URLResolver, prefix: str = ""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


@pytest.fixture
def acme_everything(people, crm, acme_mail):
    """Every kind of object a URL can name, all on alice's side."""
    msg = EmailMessage()
    msg["From"] = "Anna Buyer <anna@acme.co.uk>"
    msg["To"] = "alice@demo-trading.com"
    msg["Subject"] = "Quotation request: invoice"
    msg["Message-ID"] = "<att-1@acme.co.uk>"
    msg.set_content("See the invoice.")
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf",
                       filename="invoice-acme.pdf")  # fmt: skip
    mail_ingest(mailbox=acme_mail.alice, items=[RawItem(source="att", raw=msg.as_bytes())])
    message = Message.objects.get(message_id="att-1@acme.co.uk")
    folder = MailFolder.objects.create(mailbox=acme_mail.alice, name="INBOX", enabled=True)
    outgoing = OutgoingMessage.objects.create(
        mailbox=acme_mail.alice,
        sender=people.alice,
        to=["anna@acme.co.uk"],
        subject="Quotation request: offer",
        message_id="out-1@demo-trading.com",
        raw_sha256="0" * 64,
        status="failed",
    )
    from datetime import timedelta

    from django.utils import timezone

    from keyou.people.models import AccessGrant, AccessRequest, Team
    from keyou.people.roles import role_get

    Team.objects.filter(name="Europe").update(manager=people.alice)
    grant = AccessGrant.objects.create(
        user=people.bob, granted_by=people.alice, expires_at=timezone.now() + timedelta(days=1)
    )
    grant.accounts.add(crm.acme)
    request = AccessRequest.objects.create(requester=people.bob, account_id=crm.acme.pk)
    from keyou.automation.models import BusinessCalendar, Channel, RoutingRule, Rule
    from keyou.crm.models import Lead
    from keyou.crm.todos import task_create

    calendar = BusinessCalendar.objects.create(name="Europe", team_id=people.alice.team_id)
    channel = Channel.objects.create(name="Acme room", kind="wecom", url_encrypted="")
    task = task_create(actor=people.alice, title="Acme Trading follow-up", account=crm.acme)
    lead = Lead.objects.create(
        title="Quotation request: LED", account=crm.acme, owner=people.alice, team=people.alice.team
    )
    from keyou.deals.records import deal_record_add
    from keyou.deals.services import deal_create
    from keyou.pool.models import PoolPolicy, ReclaimApproval

    deal = deal_create(actor=people.alice, account=crm.acme, title="Acme Trading: LED panels")
    record = deal_record_add(
        actor=people.alice, deal=deal, kind="quote", amount="1200", currency="USD"
    )
    policy = PoolPolicy.objects.create(name="Quiet Acme", trigger="no_follow_up")
    approval = ReclaimApproval.objects.create(
        account=crm.acme, policy=policy, owner=people.alice, requested_at=timezone.now()
    )
    return {
        "pk": {
            "account": crm.acme.pk,
            "contact": crm.anna.pk,
            "thread": message.thread_id,
            "message": message.pk,
            "attachment": Attachment.objects.get(message=message).pk,
            "mailbox": acme_mail.alice.pk,
            "outgoing": outgoing.pk,
            "user": people.alice.pk,
            "team": people.alice.team_id,
            "role": role_get("team_lead").pk,
            "grant": grant.pk,
            "request": request.pk,
            "calendar": calendar.pk,
            "channel": channel.pk,
            "task": task.pk,
            "lead": lead.pk,
            "deal": deal.pk,
            "policy": policy.pk,
            "approval": approval.pk,
            "rule": Rule.objects.create(
                name="Acme rule",
                trigger="message.received",
                actions=[{"type": "add_tag", "tag": "x"}],
            ).pk,
            "routing_rule": RoutingRule.objects.create(
                name="Europe", team=people.alice.team, countries=["EU"]
            ).pk,
        },
        "folder": folder.pk,
        "record": record.pk,
    }


# URL name → the kind of object its <int:pk> names (and other arguments).
OBJECTS = {
    "account_detail": "account",
    "account_edit": "account",
    "note_create": "account",
    "interaction_create": "account",
    "tag_add": "account",
    "tag_remove": "account",
    "contact_create": "account",
    "contact_detail": "contact",
    "thread_detail": "thread",
    "thread_privacy": "thread",
    "message_body": "message",
    "message_raw": "message",
    "message_refile": "message",
    "message_cid": "message",
    "attachment_download": "attachment",
    "outbox_retry": "outgoing",
    "mailbox_detail": "mailbox",
    "mailbox_status": "mailbox",
    "mailbox_test": "mailbox",
    "mailbox_sync_now": "mailbox",
    "folder_toggle": "mailbox",
    "account_assign": "account",
    "account_export_csv": "account",
    "account_export_xlsx": "account",
    "people_user_edit": "user",
    "people_team_edit": "team",
    "people_role_edit": "role",
    "grant_revoke": "grant",
    "access_request_decide": "request",
    "hours_edit": "calendar",
    "channel_edit": "channel",
    "channel_delete": "channel",
    "channel_test": "channel",
    "task_edit": "task",
    "task_done": "task",
    "task_reopen": "task",
    "task_cancel": "task",
    "account_comment_create": "account",
    "thread_comment_create": "thread",
    "lead_status": "lead",
    "lead_convert": "lead",
    "routing_edit": "routing_rule",
    "routing_toggle": "routing_rule",
    "routing_delete": "routing_rule",
    "rule_edit": "rule",
    "rule_enable": "rule",
    "rule_move": "rule",
    "rule_delete": "rule",
    "rule_dry_run": "rule",
    "rule_run_list": "rule",
    "deal_detail": "deal",
    "deal_edit": "deal",
    "deal_move": "deal",
    "deal_record_new": "deal",
    "deal_record_status": "deal",
    "pool_claim": "account",
    "account_release": "account",
    "pool_policy_edit": "policy",
    "pool_policy_delete": "policy",
    "pool_approval_decide": "approval",
}
# Pages for user administrators only: the owner of the customer (alice) has no business there.
ADMIN_ONLY = {
    "people_user_edit",
    "people_team_edit",
    "people_role_edit",
    "pool_policy_edit",
    "pool_policy_delete",
}
API_OBJECTS = {"account_id": "account", "thread_id": "thread", "message_id": "message"}


def _web_urls(objects: dict) -> list[tuple[str, str]]:
    urls = []
    for route, pattern in _patterns(get_resolver()):
        if route.startswith(("admin/", "api/")) or "<" not in route:
            continue
        assert pattern.name in OBJECTS, f"{route} takes an id: add {pattern.name!r} to OBJECTS"
        url = "/" + route
        url = url.replace("<int:pk>", str(objects["pk"][OBJECTS[pattern.name]]))
        url = url.replace("<int:folder_pk>", str(objects["folder"]))
        url = url.replace("<int:record_pk>", str(objects["record"]))
        url = url.replace("<str:decision>", "approve")
        url = url.replace("<path:cid>", "part1@acme.co.uk")
        assert "<" not in url, f"{route}: unknown argument"
        urls.append((pattern.name, url))
    return urls


def _assert_nothing_leaks(response, where: str) -> None:
    assert response.status_code in (404, 405), f"{where} answered {response.status_code}"
    body = response.content.decode(errors="replace")
    for secret in SECRETS:
        assert secret not in body, f"{where} shows {secret!r}"


@pytest.fixture(params=["carol", "sid", "rita"])
def outsider(request, people):
    """Someone who must not see acme: carol (salesperson, other team), sid (salesperson in
    alice's own team: scope "own"), rita (regional manager for the EU; acme is in GB)."""
    from keyou.people.services import user_add

    if request.param == "carol":
        return people.carol
    if request.param == "sid":
        return user_add(username="sid", email="sid@demo-trading.com", team="Europe",
                        role="salesperson")  # fmt: skip
    return user_add(username="rita", email="rita@demo-trading.com", team="Europe",
                    role="regional_manager", regions=["EU"])  # fmt: skip


def test_every_web_url_with_an_id_is_404_outside_the_scope(acme_everything, outsider, login):
    carol = login(outsider)
    urls = _web_urls(acme_everything)
    assert len(urls) == len(OBJECTS)
    for name, url in urls:
        answers = []
        for method in ("get", "post"):
            response = getattr(carol, method)(url)
            _assert_nothing_leaks(response, f"{method.upper()} {url} ({name})")
            answers.append(response.status_code)
        assert 404 in answers, f"{url} ({name}) never looked the object up"


def test_the_owner_reaches_the_same_urls(acme_everything, people, login):
    """The other half of the leak test: the ids are real, so a 404 above means scope."""
    alice = login(people.alice)
    for name, url in _web_urls(acme_everything):
        if name in ("message_cid", "message_body"):
            continue  # a text-only message has no HTML body or images: 404 for everyone
        if name in ADMIN_ONLY:
            continue
        response = alice.get(url)
        assert response.status_code in (200, 302, 405), (
            f"GET {url} ({name}): {response.status_code}"
        )


def test_every_api_path_with_an_id_is_404_outside_the_scope(acme_everything, outsider, client):
    schema = client.get("/api/v1/openapi.json").json()
    api = ApiClient(token_create(user=outsider, name="leak test")[1])
    checked = 0
    for path, operations in schema["paths"].items():
        if "{" not in path:
            continue
        url = path.removeprefix("/api/v1")
        for arg, kind in API_OBJECTS.items():
            url = url.replace("{" + arg + "}", str(acme_everything["pk"][kind]))
        assert "{" not in url, f"{path}: add its argument to API_OBJECTS"
        for method in operations:
            if method == "get":
                response = api.get(url)
            else:
                response = api.post(url, {"body": "a note from outside"})
            assert response.status_code == 404, f"{method.upper()} {path}: {response.status_code}"
            _assert_nothing_leaks(response, f"{method.upper()} {path}")
            checked += 1
    assert checked >= 5


def test_lists_and_search_show_nothing_outside_the_scope(acme_everything, outsider, login):
    carol = login(outsider)
    for url in (
        "/accounts/",
        "/accounts/?q=acme",
        "/search/?q=Quotation",
        "/search/?q=acme.co.uk",
        "/problems/",
        "/mailboxes/",
        "/outbox/",
        "/notifications/",
        "/queue/",
        "/tasks/",
        "/tasks/?tab=team",
        "/leads/",
    ):
        response = carol.get(url)
        assert response.status_code in (200, 403, 404), url  # problems/: admins only
        body = response.content.decode()
        for secret in SECRETS:
            assert secret not in body, f"{url} shows {secret!r}"


BODIES = ("Please quote 500 LED panels", "Our offer is attached", "See the invoice", "%PDF-1.4")


def _assert_no_body(response, where: str) -> None:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode(errors="replace")
    for body in BODIES:
        assert body not in text, f"{where} shows the email text {body!r}"


def test_finance_never_receives_an_email_body(acme_everything, people, login, client):
    """Finance sees every account and that mail exists, never what it says: any page, any API."""
    from keyou.people.services import user_add

    fiona = user_add(username="fiona", email="fiona@demo-trading.com", role="finance")
    web = login(fiona)
    account = acme_everything["pk"]["account"]
    assert web.get(f"/accounts/{account}/").status_code == 200  # she sees the customer
    thread_page = web.get(f"/threads/{acme_everything['pk']['thread']}/")
    assert thread_page.status_code == 200 and b"Quotation request" in thread_page.content
    pages = [url for _name, url in _web_urls(acme_everything)]
    pages += [
        f"/accounts/{account}/",
        "/accounts/",
        "/search/?q=LED+panels",
        "/search/?q=invoice",
        "/search/?q=acme",
    ]
    for thread in Message.objects.values_list("thread_id", flat=True).distinct():
        pages.append(f"/threads/{thread}/")
    for message in Message.objects.values_list("pk", flat=True):
        pages += [f"/messages/{message}/body/", f"/messages/{message}/raw/"]
    for url in pages:
        _assert_no_body(web.get(url), f"GET {url}")

    api = ApiClient(token_create(user=fiona, name="finance")[1])
    schema = client.get("/api/v1/openapi.json").json()
    for path, operations in schema["paths"].items():
        if "get" not in operations:
            continue
        url = path.removeprefix("/api/v1")
        for arg, kind in API_OBJECTS.items():
            url = url.replace("{" + arg + "}", str(acme_everything["pk"][kind]))
        if "{" in url:
            continue
        query = "?q=LED" if "search" in url else ""
        _assert_no_body(api.get(url + query), f"API GET {url}")
    assert api.get(f"/messages/{acme_everything['pk']['message']}/raw").status_code == 404

    # The same pages do show the text to someone whose role reads mail.
    alice_page = login(people.alice).get(f"/threads/{acme_everything['pk']['thread']}/")
    assert b"See the invoice" in alice_page.content
