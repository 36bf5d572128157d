"""The zh-Hans catalog is complete, compiled, and used for users who chose Chinese."""

from __future__ import annotations

import ast
import gettext
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.urls import reverse
from django.utils import translation

import keyou
from keyou.crm.services import InvalidChange, contact_add
from keyou.people.access import SYSTEM
from keyou.web.views.mail import PROBLEM_LABELS

PACKAGE = Path(keyou.__file__).parent
LOCALE = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|\{\w*\}")
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def catalog() -> polib.POFile:
    return polib.pofile(str(LOCALE / "django.po"))


def _entries(catalog: polib.POFile) -> list[polib.POEntry]:
    return [e for e in catalog if not e.obsolete]


def _translations(entry: polib.POEntry) -> list[str]:
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


# --- The catalog -----------------------------------------------------------------------


def test_every_entry_is_translated_and_none_is_fuzzy(catalog):
    entries = _entries(catalog)
    assert len(entries) > 400
    untranslated = [e.msgid for e in entries if not all(_translations(e))]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert untranslated == [] and fuzzy == []
    assert not catalog.metadata_is_fuzzy


def test_the_catalog_has_one_plural_form(catalog):
    assert catalog.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    for entry in _entries(catalog):
        if entry.msgid_plural:
            assert list(entry.msgstr_plural) == [0], entry.msgid


def test_placeholders_survive_translation(catalog):
    for entry in _entries(catalog):
        # Chinese has one form for every count: it speaks of the plural's placeholders.
        source = entry.msgid_plural or entry.msgid
        wanted = set(PLACEHOLDER.findall(source)) | set(PLACEHOLDER.findall(entry.msgid))
        for text in _translations(entry):
            assert set(PLACEHOLDER.findall(text)) == wanted, entry.msgid


def test_compiled_catalog_matches_the_source(catalog):
    with (LOCALE / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = []
    for entry in _entries(catalog):
        if entry.msgid_plural:
            got = [
                compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                if entry.msgctxt
                else compiled.ngettext(entry.msgid, entry.msgid_plural, n)
                for n in (1, 2, 5)
            ]
            if got != [entry.msgstr_plural[0]] * 3:
                stale.append(entry.msgid)
        else:
            got = (
                compiled.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt
                else compiled.gettext(entry.msgid)
            )
            if got != entry.msgstr:
                stale.append(entry.msgid)
    assert stale == [], "run `make messages` to compile the catalog"


# --- What gets extracted -----------------------------------------------------------------


def test_translation_functions_keep_names_makemessages_knows():
    """makemessages finds gettext_lazy("…") and _("…"), but not an alias such as _lazy("…")."""
    renamed = []
    for path in PACKAGE.rglob("*.py"):
        if ".venv" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                renamed += [
                    f"{path.relative_to(PACKAGE)}: {a.name} as {a.asname}"
                    for a in node.names
                    if a.asname not in (None, "_")
                ]
    assert renamed == []


class _VisibleText(HTMLParser):
    """Collect text and labelling attributes that are not inside a translate tag."""

    ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._raw = 0  # inside <style> or <script>

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._raw += 1
        self.found += [
            f"<{tag} {k}={v!r}>" for k, v in attrs if k in self.ATTRIBUTES and v and v.strip()
        ]

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._raw -= 1

    def handle_data(self, data):
        text = data.strip()
        if not self._raw and re.search(r"[A-Za-z\u4e00-\u9fff]", text):
            self.found.append(text)


TEMPLATE_TAGS = [
    r"{% comment %}.*?{% endcomment %}",
    r"{#.*?#}",
    r"{% blocktranslate.*?{% endblocktranslate %}",
    r"{% block \w+_class %}.*?{% endblock %}",  # CSS class names
    r"{%.*?%}",
    r"{{.*?}}",
]
BRAND = {"客邮", "Keyou", "· 客邮 Keyou", "客邮 Keyou ·"}


@pytest.mark.parametrize(
    "template",
    sorted((PACKAGE / "web" / "templates").rglob("*.html")),
    ids=lambda p: str(p.relative_to(PACKAGE / "web" / "templates")),
)
def test_template_text_is_marked_for_translation(template):
    text = template.read_text(encoding="utf-8")
    for pattern in TEMPLATE_TAGS:
        text = re.sub(pattern, " ", text, flags=re.S)
    parser = _VisibleText()
    parser.feed(text)
    assert [t for t in parser.found if t not in BRAND] == []


# --- Pages in the user's language --------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        (
            "zh-hans",
            ["客户", "负责人", "生命周期", "所有团队", "退出登录"],
            ["Log out", "Lifecycle"],
        ),
        ("en", ["Customers", "Owner", "Lifecycle", "Any team", "Log out"], ["退出登录"]),
    ],
)
def test_accounts_list_speaks_the_users_language(people, crm, login, language, expected, absent):
    people.alice.language = language
    people.alice.save()
    page = login(people.alice).get(reverse("account_list")).content.decode()
    assert all(word in page for word in expected)
    assert not any(word in page for word in absent)


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        ("zh-hans", ["时间线", "添加备注", "记录通话或会议", "往来邮件", "活跃"], ["Timeline"]),
        ("en", ["Timeline", "Add a note", "Log a call or meeting", "Emails", "Active"], ["时间线"]),
    ],
)
def test_account_page_speaks_the_users_language(people, crm, login, language, expected, absent):
    people.alice.language = language
    people.alice.save()
    page = login(people.alice).get(reverse("account_detail", args=[crm.acme.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert all(word in body for word in expected)
    assert not any(word in body for word in absent)


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        ("zh-hans", ["登录", "用户名", "密码"], "Username"),
        ("en", ["Log in", "Username", "Password"], "用户名"),
    ],
)
def test_login_page_speaks_the_users_language(people, login, language, expected, absent):
    people.alice.language = language
    people.alice.save()
    page = login(people.alice).get(reverse("login")).content.decode()
    assert all(word in page for word in expected)
    assert absent not in page


def test_login_page_in_chinese_by_default(client, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the product default (KEYOU_LANGUAGE)
    page = client.get(reverse("login")).content.decode()
    assert "用户名" in page and "密码" in page and "每封客户邮件" in page


def test_login_page_follows_the_browser_before_login(client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    page = client.get(reverse("login"), headers={"Accept-Language": "en"}).content.decode()
    assert "Username" in page and "用户名" not in page


# --- Messages from the services ------------------------------------------------------------


def test_service_errors_are_translated_on_the_page_and_english_elsewhere(people, crm, login):
    people.alice.language = "zh-hans"
    people.alice.save()
    response = login(people.alice).post(
        reverse("contact_create", args=[crm.acme.pk]), {"name": "Dup", "email": "anna@acme.co.uk"}
    )
    assert "anna@acme.co.uk 已被某个联系人使用" in response.content.decode()

    # The API and the CLI show str(exc): English, whatever language is active.
    with translation.override("zh-hans"), pytest.raises(InvalidChange) as caught:
        contact_add(actor=SYSTEM, account=crm.acme, name="Dup", email="anna@acme.co.uk")
    assert str(caught.value) == "anna@acme.co.uk already belongs to a contact"
    assert caught.value.localized() == "anna@acme.co.uk 已被某个联系人使用"


def test_problem_labels_are_translated():
    with translation.override("zh-hans"):
        labels = {code: str(label) for code, label in PROBLEM_LABELS.items()}
    assert labels["no_date"] == "缺少日期"
    assert all(HAN.search(label) for label in labels.values())
