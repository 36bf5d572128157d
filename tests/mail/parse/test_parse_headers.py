"""Header decoding: encoded words, address lists, Message-IDs, dates and subjects."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from email.header import Header

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from keyou.mail.parse import (
    Address,
    decode_header_value,
    normalize_email,
    normalize_message_id,
    normalize_subject,
    parse_address_list,
    parse_date,
    parse_message_id_list,
)

# Timing is the business of the dedicated test; a loaded CI machine must not fail these.
NO_DEADLINE = settings(deadline=None)

# -- encoded words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?utf-8?B?5oql5Lu35Y2V?=", "报价单"),
        ("=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=", "Grüße aus Köln"),
        ("Re: =?gbk?B?sai827Wl?= (2)", "Re: 报价单 (2)"),
        # Whitespace between encoded words is folding, not content (RFC 2047 §6.2).
        ("=?utf-8?Q?a?= =?utf-8?Q?b?=", "ab"),
        ("=?utf-8?Q?a?=\r\n =?utf-8?Q?b?=", "ab"),
        # A UTF-8 character split across two words must be joined before decoding.
        ("=?utf-8?B?5oq=?= =?utf-8?B?peS7t+WNlQ==?=", "报价单"),
        # A gb2312 label on GBK-only text, and a charset Python does not know.
        ("=?gb2312?B?1uzpRrv5?=", "朱镕基"),
        ("=?x-unknown?Q?caf=C3=A9?=", "café"),
        # Malformed base64 (no padding) and an empty charset.
        ("=?utf-8?B?5oql5Lu35Y2V?=", "报价单"),
        ("=?utf-8?B?5oql5Lu35Y2?=", "报价\ufffd"),
        ("=??Q?plain?=", "plain"),
        ("Folded\r\n\tsubject", "Folded subject"),
        ("no encoding at all", "no encoding at all"),
    ],
)
def test_decode_header_value(raw, expected):
    assert decode_header_value(raw) == expected


def test_raw_8bit_header_bytes_are_decoded():
    # compat32 hands over raw bytes as surrogate escapes; UTF-8 is tried first.
    assert decode_header_value("报价".encode().decode("ascii", "surrogateescape")) == "报价"
    assert decode_header_value("报价单".encode("gbk")) == "报价单"


def test_header_objects_are_accepted():
    assert decode_header_value(Header("Größe", "iso-8859-1")) == "Größe"


@NO_DEADLINE
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=80))
def test_encoded_header_round_trips(text):
    assume(text == text.strip() and "  " not in text)
    encoded = Header(text, "utf-8").encode()
    assert decode_header_value(encoded) == text


@NO_DEADLINE
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_decode_header_value_never_raises(value):
    assert isinstance(decode_header_value(value), str)


@NO_DEADLINE
@given(
    st.lists(
        st.sampled_from(["=?", "?=", "?B?", "?Q?", "utf-8", "gb2312", "x", "==", "_", " ", "\r\n "])
        | st.text(alphabet=string.printable, max_size=6),
        max_size=20,
    )
)
def test_encoded_word_soup_never_raises(pieces):
    assert isinstance(decode_header_value("".join(pieces)), str)


# -- addresses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Alice <Alice@Example.COM>", [Address("Alice", "Alice@example.com")]),
        ('"Smith, John" <j@x.com>, b@y.org', [Address("Smith, John", "j@x.com"), Address("", "b@y.org")]),
        ("=?gbk?B?1cXI/Q==?= <zhangsan@qq.com>", [Address("张三", "zhangsan@qq.com")]),
        ('"=?utf-8?B?5byg5LiJ?=" <zs@x.cn>', [Address("张三", "zs@x.cn")]),
        ("'Marie' <marie@example.fr>", [Address("Marie", "marie@example.fr")]),
        ("bob@example.com (Bob Jones)", [Address("Bob Jones", "bob@example.com")]),
        ("undisclosed-recipients:;", []),
        ("Team: a@x.com, b@x.com;", [Address("", "a@x.com"), Address("", "b@x.com")]),
        ("a@x.com; b@y.com", [Address("", "a@x.com"), Address("", "b@y.com")]),
        ("a@x.com b@y.com", [Address("", "a@x.com"), Address("", "b@y.com")]),
        ("not an address", []),
        ("<mailto:c@z.com>", [Address("", "c@z.com")]),
        ("", []),
    ],
)  # fmt: skip
def test_parse_address_list(raw, expected):
    assert parse_address_list(raw) == expected


def test_raw_8bit_display_name():
    raw = "李四 <lisi@example.cn>".encode("gbk").decode("ascii", "surrogateescape")
    assert parse_address_list(raw, hint="gbk") == [Address("李四", "lisi@example.cn")]


@NO_DEADLINE
@given(st.text(max_size=120))
def test_parse_address_list_never_raises_and_never_yields_empty_emails(value):
    for address in parse_address_list(value):
        assert address.email and "@" in address.email
        assert address.email == address.email.strip()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Alice@Example.COM ", "alice@example.com"),
        ("<Bob@X.org>", "bob@x.org"),
        ("mailto:Straße@Example.de", "strasse@example.de"),
        ("no-at-sign", ""),
        ("@example.com", ""),
        ("a@", ""),
        ("a b@c.com", ""),
        ("", ""),
    ],
)
def test_normalize_email(raw, expected):
    assert normalize_email(raw) == expected


@NO_DEADLINE
@given(st.text(max_size=60))
def test_normalize_email_is_idempotent(value):
    once = normalize_email(value)
    assert normalize_email(once) == once


@NO_DEADLINE
@given(st.emails())
def test_normalize_email_accepts_every_valid_address(email):
    assert normalize_email(email) == email.casefold()


# -- Message-IDs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<ABC.123@Example.COM>", "ABC.123@Example.COM"),
        ("  <a@b>  (added by postmaster)", "a@b"),
        ("a@b", "a@b"),
        ("<a @b\r\n .c>", "a@b.c"),
        ("<>", ""),
        ("", ""),
        ("<\x00@x>", ""),
    ],
)
def test_normalize_message_id(raw, expected):
    assert normalize_message_id(raw) == expected


def test_parse_message_id_list():
    value = "<a@x> <b@x>\r\n\t<a@x> <c@x>"
    assert parse_message_id_list(value) == ["a@x", "b@x", "c@x"]
    assert parse_message_id_list("Your message of Monday <m1@x.org>") == ["m1@x.org"]
    assert parse_message_id_list("m1@x.org, m2@x.org") == ["m1@x.org", "m2@x.org"]
    assert parse_message_id_list("garbage") == []


@NO_DEADLINE
@given(st.text(max_size=200))
def test_message_id_helpers_never_raise(value):
    for mid in parse_message_id_list(value):
        assert mid and not any(ch.isspace() for ch in mid)
    assert isinstance(normalize_message_id(value), str)


# -- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mon, 01 Nov 2020 14:49:07 -0800 (PST)", datetime(2020, 11, 1, 22, 49, 7, tzinfo=UTC)),
        ("2 Jan 2024 10:15:00 +0800", datetime(2024, 1, 2, 2, 15, tzinfo=UTC)),
        ("Tue, 2 Jan 2024 10:15:00", datetime(2024, 1, 2, 10, 15, tzinfo=UTC)),
        ("Fri, 21 Nov 1997 09(comment):   55  :  06 -0600", datetime(1997, 11, 21, 15, 55, 6, tzinfo=UTC)),
        ("2024-01-02T10:15:00+08:00", datetime(2024, 1, 2, 2, 15, tzinfo=UTC)),
        ("Mon, 30 Jun 3609 15:33:50 +0600", None),  # absurd future
        ("Thu, 01 Jan 1970 00:00:00 +0000", None),  # epoch: a sender without a clock
        ("yesterday", None),
        ("", None),
    ],
)  # fmt: skip
def test_parse_date(raw, expected):
    assert parse_date(raw) == expected


@NO_DEADLINE
@given(st.text(max_size=80))
def test_parse_date_never_raises(value):
    moment = parse_date(value)
    assert moment is None or moment.tzinfo is UTC


# -- subjects --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Re: Quote", "quote"),
        ("RE: FW: Re: Quote", "quote"),
        ("Fwd:Re[2]: Quote", "quote"),
        ("AW: WG: Angebot", "angebot"),
        ("SV: VS: Antw: Offerte", "offerte"),
        ("回复：转发: 报价单", "报价单"),
        ("答复: 回覆：轉寄：轉寄: 報價", "報價"),
        ("转寄:  Order   No. 7", "order no. 7"),
        ("Re:", ""),
        ("Regarding: the order", "regarding: the order"),
        ("Fwd: [list] Topic", "[list] topic"),
    ],
)
def test_normalize_subject(raw, expected):
    assert normalize_subject(raw) == expected


@NO_DEADLINE
@given(st.text(max_size=80))
def test_normalize_subject_is_stable_under_another_reply(subject):
    key = normalize_subject(subject)
    assert normalize_subject("Re: " + key) == key
    assert normalize_subject("回复：" + subject) == key
