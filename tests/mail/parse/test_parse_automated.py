"""Machine-sent mail: auto-replies, bounces, lists and notifications."""

from __future__ import annotations

import contextlib

import pytest

from keyou.mail.parse import UnparseableMessage, parse_message
from keyou.mail.parse.automated import automated_reason


@pytest.mark.parametrize(
    ("headers", "kwargs", "reason"),
    [
        ({"auto-submitted": "auto-replied"}, {}, "auto_submitted"),
        ({"auto-submitted": "auto-generated (failure)"}, {}, "auto_submitted"),
        ({"x-autoreply": "yes"}, {}, "autoreply_header"),
        ({"x-autorespond": "1"}, {}, "autoreply_header"),
        ({}, {"content_type": "multipart/report"}, "report"),
        ({"precedence": "bulk"}, {}, "precedence"),
        ({"precedence": " List "}, {}, "precedence"),
        ({"precedence": "junk"}, {}, "precedence"),
        ({"list-id": "<riak-users.lists.basho.com>"}, {}, "list_id"),
        ({"list-unsubscribe": "<mailto:u@x>", "precedence": "first-class"}, {}, "list_unsubscribe"),
        ({"return-path": "<>"}, {}, "null_sender"),
        ({}, {"senders": ["noreply@shop.example"]}, "noreply_sender"),
        ({}, {"senders": ["No-Reply+123@Shop.example"]}, "noreply_sender"),
        ({}, {"senders": ["MAILER-DAEMON@mx.example"]}, "noreply_sender"),
        ({}, {"senders": ["postmaster@mx.example"]}, "noreply_sender"),
        ({}, {"sender_names": ["Mail Delivery System"]}, "noreply_sender"),
        ({}, {"subject": "Undeliverable: Quotation"}, "bounce_subject"),
        ({}, {"subject": "系统退信"}, "bounce_subject"),
        ({}, {"subject": "Out of Office: Re: Quotation"}, "out_of_office"),
        ({}, {"subject": "Automatic reply: Quotation"}, "out_of_office"),
        ({}, {"subject": "Auto: Re: PI"}, "out_of_office"),
        ({}, {"subject": "自动回复: 报价单"}, "out_of_office"),
        ({}, {"subject": "休假中：回复：报价单"}, "out_of_office"),
        ({}, {"subject": "Abwesenheitsnotiz: Angebot"}, "out_of_office"),
    ],
)
def test_automated_reasons(headers, kwargs, reason):
    assert automated_reason(headers, **kwargs) == reason


@pytest.mark.parametrize(
    ("headers", "kwargs"),
    [
        ({"auto-submitted": "no"}, {}),
        ({"list-unsubscribe": "<mailto:u@x>"}, {}),  # plenty of personal tools add it alone
        ({"precedence": "first-class"}, {}),
        ({}, {"senders": ["reply@customer.example", "norah@x.example"]}),
        ({}, {"subject": "Re: the auto parts you asked about"}),
        ({}, {"subject": "春节休假安排"}),  # a customer announcing holidays is a person
        ({}, {"subject": "Re: Out of stock items"}),
        ({}, {"content_type": "multipart/mixed"}),
    ],
)
def test_people_are_not_automated(headers, kwargs):
    assert automated_reason(headers, **kwargs) == ""


def _reasons(folder):
    reasons = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix not in (".json", ".md"):
            with contextlib.suppress(UnparseableMessage):
                reasons[path.name] = parse_message(path.read_bytes()).automated_reason
    return reasons


def test_bounce_corpora_are_automated(corpora_dir):
    sisimai = _reasons(corpora_dir / "sisimai-set-of-emails" / "maildir-bsd")
    flufl = _reasons(corpora_dir / "flufl-bounce")
    # Floors we reach today (605/612 and 114/117): the misses are ARF complaints and
    # plain-text bounces sent from ordinary-looking addresses with ordinary subjects.
    assert sum(bool(r) for r in sisimai.values()) >= 605
    assert sum(bool(r) for r in flufl.values()) >= 114


def test_human_replies_are_not_automated(corpora_dir):
    for folder in (
        "mnako-letters",
        "mailgun-talon/standard_replies",
        "sisimai-set-of-emails/maildir-not",
    ):
        reasons = _reasons(corpora_dir / folder)
        assert reasons and not any(reasons.values()), {k: v for k, v in reasons.items() if v}
