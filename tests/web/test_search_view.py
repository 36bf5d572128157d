"""The search page through HTTP, on mail taken in through the real ingest path."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from keyou.crm.models import Account, Contact
from keyou.mail.models import Message
from keyou.search.services import (
    search_index_accounts,
    search_index_contacts,
    search_index_messages,
)
from keyou.web.views.search import MAX_QUERY, clean_query, hit_snippet
from tests.web.mail_fixtures import ingest, mail_org, message, mime


@pytest.fixture
def org(db):
    return mail_org()


@pytest.fixture
def indexed(org):
    """Alice's customer asked for a quote with HTML in the subject; carol has her own."""
    ingest(
        org.boxes.alice,
        mime(
            sender="Hans Buyer <hans@acme-industrial.de>",
            subject="<b>报价</b> <script>alert(1)</script>",
            text="Hello Alice,\n\nplease send the 报价 for 500 pcs <i>DN50</i> pipes.\n",
            message_id="<s1@acme-industrial.de>",
        ),
    )
    ingest(
        org.boxes.carol,
        mime(
            sender="Ken <ken@asia-buyer.jp>",
            to="carol@demo-trading.com",
            subject="报价 for Japan",
            text="Secret Japanese 报价.",
            message_id="<s2@asia-buyer.jp>",
        ),
    )
    # Re-indexing is idempotent: index here whether or not ingest already did.
    search_index_messages(Message.objects.values_list("pk", flat=True))
    search_index_accounts(Account.objects.values_list("pk", flat=True))
    search_index_contacts(Contact.objects.values_list("pk", flat=True))
    return org


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_search_finds_mail_and_escapes_it(indexed):
    response = client_for(indexed.alice).get(reverse("search"), {"q": "报价"})

    assert response.status_code == 200
    page = response.content.decode()
    found = message("s1@acme-industrial.de")
    assert reverse("thread_detail", args=[found.thread_id]) in page
    assert "&lt;b&gt;报价&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page and "<b>报价</b>" not in page
    assert "<mark>报价</mark>" in page  # the hit, highlighted in the snippet
    assert "&lt;i&gt;DN50&lt;/i&gt;" in page
    assert "hans@acme-industrial.de" in page


def test_search_shows_only_what_the_reader_may_see(indexed):
    page = client_for(indexed.alice).get(reverse("search"), {"q": "报价"}).content.decode()
    assert "Japan" not in page and "asia-buyer.jp" not in page

    page = client_for(indexed.carol).get(reverse("search"), {"q": "报价"}).content.decode()
    assert "Japan" in page
    assert "acme-industrial" not in page


def test_search_finds_customers_and_contacts(indexed):
    page = client_for(indexed.alice).get(reverse("search"), {"q": "acme"}).content.decode()
    account = Account.objects.get(domains__domain="acme-industrial.de")
    assert reverse("account_detail", args=[account.pk]) in page


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        "\x00",
        "nothing-matches-this-zzzz",
        "\"( AND * : - OR NEAR ) ' ;--",
        "a" * 5000,
        "报价\x00\u202e\ufeff",
        "%",
        "<script>alert(1)</script>",
    ],
)
def test_any_query_renders_a_page(indexed, q):
    response = client_for(indexed.alice).get(reverse("search"), {"q": q})

    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_missing_query_renders_the_empty_state(indexed):
    assert client_for(indexed.alice).get(reverse("search")).status_code == 200


def test_anonymous_is_sent_to_log_in(db):
    response = Client().get(reverse("search"), {"q": "报价"})
    assert response.status_code == 302


def test_clean_query():
    assert clean_query("  报价 \t\x00 单 ") == ("报价 单", False)
    assert clean_query("x" * (MAX_QUERY + 5)) == ("x" * MAX_QUERY, True)
    assert clean_query("\u202e\ufeff") == ("", False)


def test_hit_snippet_marks_every_hit_near_the_first():
    found = Message(
        visible_text="intro " * 40 + "Price list: the PRICE is USD 5.\nThanks", snippet="s"
    )
    pieces = hit_snippet(found, "price")
    assert pieces[0] == ("… ", False)
    assert [text for text, hit in pieces if hit] == ["Price", "PRICE"]
    assert "".join(text for text, _hit in pieces).endswith("is USD 5. Thanks")


def test_hit_snippet_falls_back_to_the_stored_snippet():
    assert hit_snippet(Message(visible_text="nothing", snippet="stored"), "报价") == [
        ("stored", False)
    ]
