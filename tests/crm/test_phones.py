"""Tests for keyou.crm.phones: E.164 normalization and the country of a number."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keyou.crm.phones import normalize_phone, phone_country


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+86 755 1234 5678", None, "+8675512345678"),
        ("0755-12345678", "CN", "+8675512345678"),
        ("0755-12345678", "cn", "+8675512345678"),
        ("(+49) 30 123456", None, "+4930123456"),
        ("+1 (415) 555-0100 ext. 12", None, "+14155550100"),
        ("+1 415-555-0100 x12", "DE", "+14155550100"),
        ("138 0013 8000", "CN", "+8613800138000"),
        ("+86-138-0013-8000", "US", "+8613800138000"),
        # signatures: 00 as the international prefix, Chinese extensions, full-width text
        ("0086 755 1234 5678", None, "+8675512345678"),
        ("0049 30 123456", "CN", "+4930123456"),
        ("0755-12345678转801", "CN", "+8675512345678"),
        ("0755 1234 5678 分机 801", "CN", "+8675512345678"),
        ("＋８６ ７５５ １２３４ ５６７８", None, "+8675512345678"),
        ("（+86）755-1234-5678", None, "+8675512345678"),
        ("Tel: +44 20 7946 0958", None, "+442079460958"),
    ],
)
def test_normalize_phone(raw: str, region: str | None, expected: str) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("", None),
        ("   ", "CN"),
        ("abc", "CN"),
        ("0755-12345678", None),  # no country code and no region to read it in
        ("0755-12345678", "XX"),
        ("+86 123", None),
        ("+1 555 000", None),
        ("12345", "DE"),
        ("+" + "1" * 300, None),
    ],
)
def test_normalize_phone_returns_empty_for_non_numbers(raw: str, region: str | None) -> None:
    assert normalize_phone(raw, region) == ""


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+8675512345678", "CN"),
        ("+8613800138000", "CN"),
        ("+4930123456", "DE"),
        ("+14155550100", "US"),
        ("+442079460958", "GB"),
        ("+80012345678", ""),  # international freephone: no country
        ("+86123", ""),
        ("0755-12345678", ""),
        ("", ""),
        ("garbage", ""),
    ],
)
def test_phone_country(e164: str, expected: str) -> None:
    assert phone_country(e164) == expected


regions = st.sampled_from([None, "", "CN", "cn", "DE", "US", "GB", "XX", "zz", "1"])


@given(st.text(), regions)
def test_no_exception_escapes_and_results_are_stable(raw: str, region: str | None) -> None:
    e164 = normalize_phone(raw, region)
    assert e164 == "" or (e164[0] == "+" and e164[1:].isdigit() and e164[1:].isascii())
    assert normalize_phone(e164) == e164
    country = phone_country(e164)
    assert country == "" or (len(country) == 2 and country.isupper())


@given(
    st.from_regex(r"\+?[0-9 ()\-.]{3,25}( ?(ext\.?|x|转) ?[0-9]{1,5})?", fullmatch=True), regions
)
def test_phone_like_text_never_raises(raw: str, region: str | None) -> None:
    e164 = normalize_phone(raw, region)
    assert normalize_phone(e164, region) == e164
