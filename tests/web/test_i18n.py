"""The zh-Hans catalog is complete, compiled, and used for users who chose Chinese."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import polib
import pytest
from django.urls import reverse

import keyou

LOCALE = Path(keyou.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


@pytest.fixture(scope="module")
def catalog() -> polib.POFile:
    return polib.pofile(str(LOCALE / "django.po"))


def test_every_entry_is_translated_and_none_is_fuzzy(catalog):
    entries = [e for e in catalog if not e.obsolete]
    assert len(entries) > 250
    untranslated = [e.msgid for e in entries if not e.translated()]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert untranslated == [] and fuzzy == []


def test_placeholders_survive_translation(catalog):
    for entry in catalog:
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in texts:
            assert sorted(PLACEHOLDER.findall(text)) == wanted, entry.msgid


def test_compiled_catalog_matches_the_source(catalog):
    with (LOCALE / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = [
        e.msgid
        for e in catalog
        if not e.obsolete
        and not e.msgid_plural
        and not e.msgctxt
        and compiled.gettext(e.msgid) != e.msgstr
    ]
    assert stale == [], "run `make messages` to compile the catalog"


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        ("zh-hans", ["客户", "时间线", "退出登录"], "Log out"),
        ("en", ["Customers", "Timeline"], "退出登录"),
    ],
)
def test_pages_speak_the_users_language(people, crm, login, language, expected, absent):
    people.alice.language = language
    people.alice.save()
    client = login(people.alice)
    pages = [
        client.get(reverse("account_list")).content.decode(),
        client.get(reverse("account_detail", args=[crm.acme.pk])).content.decode(),
    ]
    text = "".join(pages)
    for word in expected:
        assert word in text
    assert absent not in text


def test_login_page_in_chinese_by_default(client, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the product default (KEYOU_LANGUAGE)
    page = client.get(reverse("login")).content.decode()
    assert "登录" in page and "密码" in page
