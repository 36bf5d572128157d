"""Charset decoding: labels that lie, labels that are missing, bytes that fit nothing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyou.mail.parse.charsets import codec_for, decode_bytes

GBK_ONLY = "朱镕基、王珺、围棋（碁）"  # 镕 珺 碁 are in GBK but not in GB2312
HKSCS_ONLY = "我哋收到你嘅查詢，啲樣板已經寄咗出去㗎喇"  # 嘅 咗 啲 㗎 are HKSCS additions

# Timing is the business of the dedicated test; a loaded CI machine must not fail these.
NO_DEADLINE = settings(deadline=None)


def decode(data: bytes, label: str | None) -> tuple[str, list[str]]:
    problems: list[str] = []
    return decode_bytes(data, label, problems), problems


def test_gbk_only_characters_need_the_superset_and_say_so():
    with pytest.raises(UnicodeEncodeError):
        GBK_ONLY.encode("gb2312")
    text, problems = decode(GBK_ONLY.encode("gbk"), "gb2312")
    assert text == GBK_ONLY
    assert problems == ["charset_fallback:gb2312->gb18030"]


def test_plain_gb2312_text_decodes_silently():
    text, problems = decode("报价单已发送".encode("gb2312"), "GB2312")
    assert text == "报价单已发送"
    assert problems == []


@pytest.mark.parametrize("label", ["gbk", "x-gbk", "cp936", "euc-cn", "GB18030"])
def test_chinese_labels_decode_as_gb18030(label):
    text, _ = decode(GBK_ONLY.encode("gbk"), label)
    assert text == GBK_ONLY


@pytest.mark.parametrize("label", ["big5", "big5-hkscs", "cp950", "BIG5"])
def test_big5_labels_read_hkscs(label):
    with pytest.raises(UnicodeEncodeError):
        HKSCS_ONLY.encode("big5")
    text, _ = decode(HKSCS_ONLY.encode("big5hkscs"), label)
    assert text == HKSCS_ONLY


def test_ks_c_5601_is_cp949():
    assert codec_for("ks_c_5601-1987") == "cp949"
    text, problems = decode("안녕하세요, 견적서입니다".encode("cp949"), "ks_c_5601-1987")
    assert text == "안녕하세요, 견적서입니다"
    assert problems == []


@pytest.mark.parametrize("label", ["us-ascii", "iso-8859-1", "ascii"])
def test_utf8_under_an_ascii_or_latin1_label(label):
    text, problems = decode("Grüße aus Köln — 你好".encode(), label)
    assert text == "Grüße aus Köln — 你好"
    assert problems == [f"charset_fallback:{label}->utf-8"]


def test_latin1_label_on_latin1_text_is_trusted():
    text, problems = decode("Größe: 40 cm".encode("latin-1"), "iso-8859-1")
    assert text == "Größe: 40 cm"
    assert problems == []


def test_latin1_label_with_windows_smart_quotes():
    text, problems = decode("“Quoted” – fine".encode("cp1252"), "iso-8859-1")
    assert text == "“Quoted” – fine"
    assert problems == ["charset_fallback:iso-8859-1->cp1252"]


def test_big5_text_labelled_ascii_is_detected():
    text, problems = decode(
        "這是一個測試的句子，我們看看能否偵測正確的編碼".encode("big5"), "us-ascii"
    )
    assert text == "這是一個測試的句子，我們看看能否偵測正確的編碼"
    assert problems[-1] == "charset_detected:big5hkscs"


@pytest.mark.parametrize("label", ["x-unknown", "unknown-8bit", "garbage!!", "base64", "rot13"])
def test_unknown_labels_try_utf8_first(label):
    text, problems = decode("Ünïcödé".encode(), label)
    assert text == "Ünïcödé"
    assert problems == [f"charset_unknown:{label}"]


def test_unknown_label_on_gbk_bytes_is_detected():
    text, problems = decode("请尽快确认订单数量和交货日期".encode("gbk"), "x-unknown")
    assert text == "请尽快确认订单数量和交货日期"
    assert problems == ["charset_unknown:x-unknown", "charset_detected:gb18030"]


def test_hint_decides_short_unlabelled_bytes():
    problems: list[str] = []
    text = decode_bytes("김철수".encode("euc-kr"), None, problems, hint="euc-kr")
    assert text == "김철수"


def test_undecodable_bytes_become_replacement_characters():
    text, problems = decode(b"abc\xff\xfe\xfd", "utf-8")
    assert text.startswith("abc") and "\ufffd" in text
    assert problems == ["charset_replaced:utf-8"]


def test_seven_bit_iso_2022_jp_is_not_taken_for_utf8():
    data = "見積書を送付します".encode("iso2022_jp")
    text, problems = decode(data, "iso-2022-jp")
    assert text == "見積書を送付します"
    assert problems == []


@NO_DEADLINE
@given(data=st.binary(max_size=300), label=st.sampled_from(
    [None, "", "utf-8", "gb2312", "gbk", "big5", "ks_c_5601-1987", "iso-8859-1", "us-ascii",
     "iso-2022-jp", "utf-7", "utf-16", "x-unknown", "shift_jis", "euc-jp", "hz-gb-2312",
     "windows-1252", "koi8-r", "base64", "\udcff", "*"]
))  # fmt: skip
def test_decode_bytes_never_raises(data, label):
    problems: list[str] = []
    text = decode_bytes(data, label, problems)
    assert isinstance(text, str)
    text.encode("utf-8", "surrogatepass")  # a str, possibly with U+FFFD, never bytes


@NO_DEADLINE
@given(text=st.text(max_size=200))
def test_utf8_round_trips_under_any_western_label(text):
    for label in ("utf-8", "us-ascii", "iso-8859-1", None):
        assert decode_bytes(text.encode("utf-8", "surrogatepass"), label, []) == text or any(
            0xD800 <= ord(ch) <= 0xDFFF for ch in text
        )
