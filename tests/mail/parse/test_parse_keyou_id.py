"""X-Keyou-Id: the id Keyou puts on the mail it sends, read back by the parser."""

from keyou.mail.parse import parse_message
from tests.mail.mailfactory import raw_message

KID = "0b1e6a0e-5f7e-4b5e-9d8f-1234567890ab"


def test_keyou_id_is_read_and_normalized():
    raw = raw_message(extra_headers=f"X-Keyou-Id:  {KID.upper()}")
    assert parse_message(raw).keyou_id == KID


def test_anything_but_a_uuid_is_ignored():
    assert parse_message(raw_message(extra_headers="X-Keyou-Id: hello")).keyou_id == ""
    assert parse_message(raw_message()).keyou_id == ""
