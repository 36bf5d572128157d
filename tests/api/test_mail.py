"""/threads and /messages: conversations in order, single messages, original bytes."""

import pytest

from keyou.mail.models import Message
from tests.api.conftest import raw_with_attachment
from tests.api.helpers import assert_error


@pytest.fixture
def acme_thread(crm) -> int:
    return Message.objects.get(message_id="q1@acme.co.uk").thread_id


def test_thread_has_its_messages_in_order(crm, alice_api, acme_thread):
    response = alice_api.get(f"/threads/{acme_thread}")

    assert response.status_code == 200, response.content
    thread = response.json()
    assert thread["subject"] == "Quotation request"
    assert thread["first_at"] == "2026-03-02T08:30:00Z"
    q1, r1, q3 = thread["messages"]
    assert [m["internet_message_id"] for m in (q1, r1, q3)] == [
        "q1@acme.co.uk",
        "r1@demo-trading.com",
        "q3@acme.co.uk",
    ]
    assert [m["direction"] for m in (q1, r1, q3)] == ["inbound", "outbound", "inbound"]
    assert q1["from"] == {"name": "Buyer", "email": "buyer@acme.co.uk"}
    assert q1["to"] == [{"name": "", "email": "alice@demo-trading.com"}]
    assert q1["cc"] == [{"name": "", "email": "bob@demo-trading.com"}]
    assert q1["mailboxes"] == ["alice@demo-trading.com", "bob@demo-trading.com"]
    assert r1["to"] == [{"name": "Buyer", "email": "buyer@acme.co.uk"}]
    assert r1["sent_at"] == "2026-03-03T08:30:00Z"
    assert q3["visible_text"] == "Thanks, drawing attached."  # the quote is stripped
    [attachment] = q3["attachments"]
    assert attachment["filename"] == "drawing.pdf"
    assert attachment["content_type"] == "application/pdf"
    assert attachment["size"] == len(b"%PDF-1.4 fake")
    assert all(m["thread_id"] == acme_thread for m in thread["messages"])


def test_message_detail(crm, alice_api):
    message = Message.objects.get(message_id="q3@acme.co.uk")

    response = alice_api.get(f"/messages/{message.pk}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["subject"] == "Re: Quotation request"
    assert body["sent_at"] == "2026-03-04T08:30:00Z"
    assert body["in_reply_to"] == ["r1@demo-trading.com"]
    assert body["references"] == ["q1@acme.co.uk", "r1@demo-trading.com"]
    assert "> earlier text" in body["text_body"]
    assert body["visible_text"] == "Thanks, drawing attached."
    assert [a["filename"] for a in body["attachments"]] == ["drawing.pdf"]
    assert body["mailboxes"] == ["alice@demo-trading.com"]
    assert body["size"] == len(raw_with_attachment())


def test_raw_message_is_the_original_bytes(crm, alice_api):
    message = Message.objects.get(message_id="q3@acme.co.uk")

    response = alice_api.get(f"/messages/{message.pk}/raw")

    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert response.content == raw_with_attachment()
    assert f"message-{message.pk}.eml" in response["Content-Disposition"]


def test_raw_message_missing_from_storage_is_404_json(crm, alice_api, settings, tmp_path):
    settings.KEYOU_BLOB_DIR = tmp_path / "empty"
    message = Message.objects.get(message_id="q1@acme.co.uk")
    assert_error(alice_api.get(f"/messages/{message.pk}/raw"), 404, "raw_missing")


def test_a_teammate_sees_the_thread_too(crm, org, acme_thread):
    from keyou.api.services import token_create
    from tests.api.helpers import ApiClient

    bob = ApiClient(token_create(user=org["bob"])[1])
    message = Message.objects.get(message_id="q1@acme.co.uk")
    assert bob.get(f"/messages/{message.pk}").status_code == 200
    assert bob.get(f"/threads/{acme_thread}").status_code == 200


def test_outsider_gets_404_on_threads_and_messages(crm, carol_api, acme_thread):
    message = Message.objects.get(message_id="q1@acme.co.uk")
    hidden = [
        f"/threads/{acme_thread}",
        f"/messages/{message.pk}",
        f"/messages/{message.pk}/raw",
    ]
    for path in hidden:
        assert_error(carol_api.get(path), 404, "not_found")
    own = Message.objects.get(message_id="a1@lotus-asia.cn")
    assert carol_api.get(f"/messages/{own.pk}").json()["subject"] == "报价 request"


@pytest.mark.parametrize(
    "path",
    [
        "/threads/987654",
        "/messages/987654",
        "/messages/987654/raw",
        f"/threads/{10**25}",
        f"/messages/{10**25}",
        "/threads/abc",
        "/messages/abc/raw",
    ],
)
def test_unknown_mail_ids_are_404_json(crm, alice_api, path):
    assert_error(alice_api.get(path), 404, "not_found")
