"""Connections to a mailbox's IMAP and SMTP servers, with errors a user can act on.

Every failure becomes a `ConnectionProblem` whose kind says what went wrong (wrong
password, TLS, unreachable, timeout, IMAP not enabled) and whose message is
translated. Passwords never appear in a message or a log line.
"""

from __future__ import annotations

import contextlib
import imaplib
import smtplib
import socket
import ssl
from enum import StrEnum

from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from keyou.mail.crypto import SecretUnreadable, secret_decrypt
from keyou.mail.models import Mailbox, Security

DEFAULT_TIMEOUT = 30.0
_IMAP_OFF_HINTS = (
    "imap is disabled",
    "imap access is disabled",
    "imap not enabled",
    "not enabled for imap",
    "enable imap",
    "imap service",
    "imap服务",
    "未开启",
    "please enable",
)


class ProblemKind(StrEnum):
    AUTH = "auth"
    TLS = "tls"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    IMAP_DISABLED = "imap_disabled"
    NOT_CONFIGURED = "not_configured"
    PROTOCOL = "protocol"


class ConnectionProblem(Exception):
    """A mail server could not be used; `kind` says why, `str()` says it to a person."""

    def __init__(self, kind: ProblemKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _server(host: str, port: int | None) -> str:
    return f"{host}:{port}" if port else host


def classify(
    exc: BaseException, *, host: str, port: int | None, protocol: str
) -> ConnectionProblem:
    """Turn a low-level exception into a ConnectionProblem with a translated message."""
    server = _server(host, port)
    if isinstance(exc, ConnectionProblem):
        return exc
    text = str(exc).lower()
    if isinstance(exc, LoginError | smtplib.SMTPAuthenticationError):
        if any(hint in text for hint in _IMAP_OFF_HINTS):
            return ConnectionProblem(
                ProblemKind.IMAP_DISABLED,
                _(
                    "%(server)s refused the login: IMAP/SMTP access is not turned on for this "
                    "mailbox. Turn it on in the mail provider's settings, then try again."
                )
                % {"server": server},
            )
        return ConnectionProblem(
            ProblemKind.AUTH,
            _(
                "%(server)s did not accept the login name or password. Check them; some "
                "providers need an app password or client authorisation code."
            )
            % {"server": server},
        )
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return ConnectionProblem(
            ProblemKind.TLS,
            _(
                "The secure connection to %(server)s failed (%(reason)s). Check the port and "
                "the security setting (SSL/TLS or STARTTLS)."
            )
            % {"server": server, "reason": type(exc).__name__},
        )
    if isinstance(exc, TimeoutError | socket.timeout):
        return ConnectionProblem(
            ProblemKind.TIMEOUT,
            _("%(server)s did not answer in time. Check the host and port, or try again later.")
            % {"server": server},
        )
    if isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException):
        return ConnectionProblem(
            ProblemKind.UNREACHABLE,
            _("Cannot reach %(server)s (%(reason)s). Check the host name and port.")
            % {"server": server, "reason": exc.strerror or type(exc).__name__},
        )
    return ConnectionProblem(
        ProblemKind.PROTOCOL,
        _("%(server)s answered in a way %(protocol)s does not allow: %(reason)s")
        % {"server": server, "protocol": protocol, "reason": str(exc)[:200]},
    )


def _password(mailbox: Mailbox) -> str:
    try:
        return secret_decrypt(mailbox.password_encrypted)
    except SecretUnreadable:
        raise ConnectionProblem(
            ProblemKind.AUTH,
            _(
                "The stored password cannot be decrypted; was the encryption key changed? "
                "Enter the mailbox password again."
            ),
        ) from None


def imap_connect(mailbox: Mailbox, *, timeout: float = DEFAULT_TIMEOUT) -> IMAPClient:
    """Return an IMAPClient logged in to MAILBOX's server, or raise ConnectionProblem."""
    host, port = mailbox.imap_host, mailbox.imap_port
    if not host:
        raise ConnectionProblem(
            ProblemKind.NOT_CONFIGURED, _("No IMAP server is set for this mailbox.")
        )
    security = mailbox.imap_security
    port = port or (993 if security == Security.SSL else 143)
    client = None
    try:
        client = IMAPClient(
            host,
            port=port,
            ssl=security == Security.SSL,
            ssl_context=ssl.create_default_context() if security == Security.SSL else None,
            timeout=timeout,
        )
        if security == Security.STARTTLS:
            client.starttls(ssl.create_default_context())
        client.login(mailbox.username or mailbox.address, _password(mailbox))
        return client
    except (IMAPClientError, imaplib.IMAP4.error, OSError, ssl.SSLError) as exc:
        if client is not None:
            with contextlib.suppress(Exception):  # already failing: report the first error
                client.shutdown()
        raise classify(exc, host=host, port=port, protocol="IMAP") from exc


def smtp_connect(mailbox: Mailbox, *, timeout: float = DEFAULT_TIMEOUT) -> smtplib.SMTP:
    """Return an SMTP connection to MAILBOX's server, logged in when it has a password."""
    host, port = mailbox.smtp_host, mailbox.smtp_port
    if not host:
        raise ConnectionProblem(
            ProblemKind.NOT_CONFIGURED, _("No SMTP server is set for this mailbox.")
        )
    security = mailbox.smtp_security
    port = port or {Security.SSL: 465, Security.STARTTLS: 587}.get(security, 25)
    try:
        if security == Security.SSL:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        smtp.ehlo()
        if security == Security.STARTTLS:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if mailbox.password_encrypted and smtp.has_extn("auth"):
            smtp.login(mailbox.username or mailbox.address, _password(mailbox))
        return smtp
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise classify(exc, host=host, port=port, protocol="SMTP") from exc
