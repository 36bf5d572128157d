"""parse_message on hand-written hard cases (tests/data/mail) and on broken input."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import compat32

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyou.mail.parse import Address, UnparseableMessage, block_remote_images, parse_message


def test_gb2312_label_with_gbk_only_characters(parse_fixture):
    msg = parse_fixture("gb2312_with_gbk_chars.eml")
    assert msg.subject == "关于朱镕基纪念馆的报价（珺、碁）"
    assert msg.from_ == [Address("李镕", "LiMing@example.cn")]
    assert "朱镕基纪念馆" in msg.text and msg.text.startswith("王珺您好")
    assert "charset_fallback:gb2312->gb18030" in msg.problems
    assert msg.date == datetime(2024, 1, 2, 2, 15, tzinfo=UTC) and msg.date_source == "date"


def test_big5_label_with_hkscs_characters(parse_fixture):
    msg = parse_fixture("big5_with_hkscs_chars.eml")
    assert msg.subject == "報價單：呢個價錢啱唔啱㗎？"
    assert msg.from_[0].name == "黃小姐"
    assert "我哋收到你嘅查詢，啲樣板已經寄咗出去㗎喇。" in msg.text


def test_missing_date_falls_back_to_the_newest_received(parse_fixture):
    msg = parse_fixture("no_date_received_only.eml")
    assert msg.date == datetime(2024, 1, 5, 13, 22, 31, tzinfo=UTC)
    assert msg.date_source == "received"
    assert "no_date" in msg.problems


def test_html_only_message_is_sanitized_and_read_as_text(parse_fixture):
    msg = parse_fixture("html_only_hostile.eml")
    lowered = msg.html.lower()
    for needle in ("<script", "onerror", "onload", "javascript:", "<form", "<input", "<iframe",
                   "<style", "position", "document.cookie"):  # fmt: skip
        assert needle not in lowered, needle
    assert 'src="https://tracker.example.com/pixel.gif?u=42"' in msg.html  # kept until display
    blocked, count = block_remote_images(msg.html)
    assert count == 2 and "tracker.example.com/pixel.gif" not in blocked.split("data-keyou")[0]
    assert msg.text.startswith("Dear customer,\n\nPlease confirm your order & see the order.")
    assert "Total: USD 1,200" in msg.text and "alert" not in msg.text
    assert msg.text.endswith("Best regards,\nSales Team")


def test_forwarded_message_is_an_attachment_and_part_of_the_text(parse_fixture):
    msg = parse_fixture("forwarded_rfc822.eml")
    [attachment] = msg.attachments
    assert attachment.content_type == "message/rfc822"
    assert attachment.filename == "报价 Q-2024-001.eml"
    inner = BytesParser(policy=compat32).parsebytes(attachment.data)
    assert inner["Message-ID"] == "<inner-1@supplier.example>"
    assert "---------- Forwarded message ----------" in msg.text
    assert "From: Supplier Zhang <zhang@supplier.example>" in msg.text
    assert "Subject: 报价 Q-2024-001" in msg.text
    assert "The unit price is USD 3.20" in msg.text
    assert msg.visible_text == "FYI, see the supplier's quote below."


def test_winmail_dat_is_kept_as_is(parse_fixture, mail_data):
    msg = parse_fixture("winmail_dat.eml")
    [attachment] = msg.attachments
    assert (attachment.filename, attachment.content_type) == ("winmail.dat", "application/ms-tnef")
    assert attachment.data == b"\x78\x9f\x3e\x22" + bytes(range(256)) * 4
    assert not attachment.inline
    assert msg.text == "See attached specs."


def test_cid_inline_image(parse_fixture):
    msg = parse_fixture("cid_inline_image.eml")
    [image] = msg.attachments
    assert image.content_id == "logo.123@studio.example"
    assert image.inline and image.filename == "logo.png" and image.content_type == "image/png"
    assert image.data.startswith(b"\x89PNG")
    assert 'src="cid:logo.123@studio.example"' in msg.html
    assert msg.text == "Here is the logo proof."


def test_out_of_office_reply_is_automated(parse_fixture):
    msg = parse_fixture("out_of_office.eml")
    assert msg.automated and msg.automated_reason == "auto_submitted"
    assert msg.subject == "Automatic reply: Re: Quotation Q-2024-001"
    assert msg.in_reply_to == ["q-2024-001@keyou.test"]


def test_qq_mail_chinese_reply(parse_fixture):
    msg = parse_fixture("qq_reply_chinese.eml")
    assert msg.subject == "回复：回复：形式发票 PI-2024-007"
    assert msg.from_ == [Address("张三", "zhangsan@qq.example")]
    assert "原始邮件" in msg.text
    assert msg.visible_text == "好的，我们下周一安排付款。\n\n谢谢！\n张三"
    assert msg.snippet == "好的，我们下周一安排付款。 谢谢！ 张三"
    assert msg.references == ["pi-2024-007@keyou.test"]
    assert not msg.automated


def test_all_fixtures_have_their_message_id_and_size(mail_data):
    for path in sorted(mail_data.glob("*.eml")):
        raw = path.read_bytes()
        msg = parse_message(raw)
        assert msg.message_id and "missing_message_id" not in msg.problems, path.name
        assert msg.size == len(raw)


# -- built on the fly ------------------------------------------------------------------


def build(headers: str, body: bytes = b"Hello\r\n") -> bytes:
    return headers.replace("\n", "\r\n").encode("utf-8", "surrogateescape") + b"\r\n" + body


def test_missing_message_id_and_bad_date_are_problems():
    msg = parse_message(build("From: a@x.com\nDate: not a date\nSubject: hi\n"))
    assert msg.message_id == "" and "missing_message_id" in msg.problems
    assert msg.date is None and msg.date_source == "" and "bad_date" in msg.problems


def test_absurd_date_uses_received_instead():
    raw = build(
        "Received: from a by b; Tue, 2 Jan 2024 10:00:00 +0000\n"
        "Date: Mon, 30 Jun 3609 15:33:50 +0600\nFrom: a@x.com\nMessage-ID: <m@x>\n"
    )
    msg = parse_message(raw)
    assert msg.date == datetime(2024, 1, 2, 10, tzinfo=UTC) and msg.date_source == "received"
    assert "bad_date" in msg.problems


def test_raw_8bit_headers_use_the_body_charset():
    headers = "From: 张三 <zs@x.cn>\nSubject: 报价单\nContent-Type: text/plain; charset=gbk\n"
    raw = headers.replace("\n", "\r\n").encode("gbk") + b"\r\n" + "正文".encode("gbk")
    msg = parse_message(raw)
    assert msg.subject == "报价单" and msg.from_ == [Address("张三", "zs@x.cn")]
    assert msg.text == "正文"


def test_malformed_base64_is_repaired():
    body = base64.b64encode("报价单已发送，请查收".encode()).rstrip(b"=")[:-1] + b"!!\r\n"
    raw = build("From: a@x.com\nContent-Type: text/plain; charset=utf-8\n"
                "Content-Transfer-Encoding: base64\n", body)  # fmt: skip
    msg = parse_message(raw)
    assert msg.text.startswith("报价单已发送，请查")
    assert "base64_malformed" in msg.problems


def test_unknown_transfer_encoding_is_guessed():
    body = base64.encodebytes("Grüße".encode())
    raw = build("From: a@x.com\nContent-Type: text/plain; charset=utf-8\n"
                "Content-Transfer-Encoding: x-weird\n", body)  # fmt: skip
    msg = parse_message(raw)
    assert msg.text == "Grüße" and "cte_unknown:x-weird" in msg.problems


def test_uuencoded_attachment():
    data = b"PDF-ish \x00\x01\x02 payload " * 5
    lines = [binascii.b2a_uu(data[i : i + 45]) for i in range(0, len(data), 45)]
    body = b"begin 644 quote.pdf\r\n" + b"".join(lines).replace(b"\n", b"\r\n") + b"`\r\nend\r\n"
    raw = build(
        "From: a@x.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n",
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee file.\r\n--b\r\n"
        b"Content-Type: application/pdf; name=quote.pdf\r\n"
        b"Content-Transfer-Encoding: x-uuencode\r\n\r\n" + body + b"--b--\r\n",
    )
    msg = parse_message(raw)
    [attachment] = msg.attachments
    assert attachment.filename == "quote.pdf" and attachment.data == data


def test_rfc2231_and_encoded_word_filenames():
    raw = build(
        "From: a@x.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n",
        b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b\r\n"
        b"Content-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=gb2312''%D6%EC%E9%46.pdf\r\n\r\nA\r\n"
        b'--b\r\nContent-Type: application/pdf; name="=?utf-8?B?5oql5Lu35Y2VLnBkZg==?="\r\n'
        b"Content-Disposition: attachment\r\n\r\nB\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="C:\\\\Users\\\\x\\\\plan.xlsx"\r\n\r\nC\r\n'
        b"--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment\r\n\r\nD\r\n--b--\r\n",
    )
    names = [a.filename for a in parse_message(raw).attachments]
    assert names == ["朱镕.pdf", "报价单.pdf", "plan.xlsx", "attachment-4.png"]


def test_format_flowed_is_unwrapped():
    raw = build(
        "From: a@x.com\nContent-Type: text/plain; charset=utf-8; format=flowed; delsp=no\n",
        b"On 2 Jan 2024, Li Si <l@x.cn> \r\nwrote:\r\n> quoted \r\n> line\r\n\r\nAnswer here\r\n",
    )
    assert (
        parse_message(raw).text
        == "On 2 Jan 2024, Li Si <l@x.cn> wrote:\n> quoted line\n\nAnswer here"
    )


def test_obsolete_header_syntax_is_mended():
    raw = b"From  : John <j@x.com>\r\nSubject : Hello\r\nMessage-ID  : <a@b>\r\n\r\nBody\r\n"
    msg = parse_message(raw)
    assert msg.from_ == [Address("John", "j@x.com")]
    assert (msg.subject, msg.message_id, msg.text) == ("Hello", "a@b", "Body")


def test_null_bytes_and_lone_surrogates_never_reach_the_output():
    raw = build("From: a@x.com\nSubject: a\x00b\nContent-Type: text/plain; charset=utf-8\n",
                b"bad \xed\xa0\x80 bytes \x00 here")  # fmt: skip
    msg = parse_message(raw)
    for value in (msg.subject, msg.text, msg.visible_text, msg.snippet):
        assert "\x00" not in value
        value.encode("utf-8")  # would raise on a lone surrogate


def test_snippet_is_short_and_collapsed():
    msg = parse_message(build("From: a@x.com\n", ("word   \r\n" * 200).encode()))
    assert len(msg.snippet) == 200 and "  " not in msg.snippet and "\n" not in msg.snippet


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \r\n\r\n",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
        b"Just a line of text without any header\nand more text\n",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        b"Subject: x" + b"\x00" * 64 + b"binary",
    ],
)
def test_not_mail_is_unparseable(raw):
    with pytest.raises(UnparseableMessage):
        parse_message(raw)


def test_deep_nesting_does_not_crash():
    depth = 200
    parts = [
        f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n" for i in range(depth)
    ]
    closes = [f"--b{i}--\r\n" for i in reversed(range(depth))]
    raw = ("From: a@x.com\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n" + "".join(parts)
           + "--b200\r\nContent-Type: text/plain\r\n\r\ndeep\r\n" + "".join(closes)).encode()  # fmt: skip
    msg = parse_message(raw)
    assert msg.from_ == [Address("", "a@x.com")]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_parse_or_are_unparseable(raw):
    try:
        msg = parse_message(raw)
    except UnparseableMessage:
        return
    assert msg.size == len(raw)


SEED = build(
    'From: =?utf-8?B?5byg5LiJ?= <zs@x.cn>\nTo: a@b.c, "X, Y" <x@y.z>\nSubject: =?gbk?B?sai827Wl?=\n'
    "Date: Tue, 2 Jan 2024 10:00:00 +0800\nMessage-ID: <m@x>\nMIME-Version: 1.0\n"
    'Content-Type: multipart/alternative; boundary="b"\n',
    b"--b\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    + base64.encodebytes("报价单".encode("gbk"))
    + b"--b\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable"
    b'\r\n\r\n<p>=E6=8A=A5</p><img src=3D"cid:a@b">\r\n--b--\r\n',
)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_messages_parse_or_are_unparseable(data):
    raw = bytearray(SEED)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        if action == "flip":
            raw[position] = data.draw(st.integers(0, 255))
        elif action == "delete":
            del raw[position : position + data.draw(st.integers(1, 40))]
        else:
            raw[position:position] = data.draw(st.binary(min_size=1, max_size=20))
        if not raw:
            break
    with contextlib.suppress(UnparseableMessage):
        parse_message(bytes(raw))


def test_seed_message_parses_fully():
    msg = parse_message(SEED)
    assert msg.subject == "报价单" and msg.text == "报价单" and "<p>报</p>" in msg.html
    assert [a.email for a in msg.to] == ["a@b.c", "x@y.z"] and msg.to[1].name == "X, Y"
    assert hashlib.sha256(SEED).hexdigest()  # the seed itself is stable input
