"""The test mail servers themselves work: a login, an APPEND, a FETCH, an SMTP delivery."""

from __future__ import annotations

import smtplib

from imapclient import IMAPClient


def test_dovecot_append_and_fetch(dovecot):
    dovecot.add_user("anna@example.com", "s3cret")
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as imap:
        imap.login("anna@example.com", "s3cret")
        folders = {name for _flags, _sep, name in imap.list_folders()}
        assert {"INBOX", "Sent"} <= folders
        imap.append("INBOX", b"From: a@b.c\r\nSubject: hi\r\n\r\nbody\r\n")
        imap.select_folder("INBOX", readonly=True)
        uids = imap.search("ALL")
        assert len(uids) == 1
        data = imap.fetch(uids, ["BODY.PEEK[]"])
        assert b"Subject: hi" in data[uids[0]][b"BODY[]"]


def test_dovecot_rejects_wrong_password(dovecot):
    dovecot.add_user("anna@example.com", "s3cret")
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as imap:
        try:
            imap.login("anna@example.com", "wrong")
        except Exception as exc:  # imapclient raises LoginError
            assert "auth" in str(exc).lower()
        else:
            raise AssertionError("login with a wrong password succeeded")


def test_smtp_server_records_mail(smtp_server):
    with smtplib.SMTP("127.0.0.1", smtp_server.port, timeout=5) as client:
        client.sendmail("a@example.com", ["b@example.org"], b"Subject: x\r\n\r\nhello\r\n")
    (mail,) = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["b@example.org"]
    assert mail.message["Subject"] == "x"
