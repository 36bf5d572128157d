"""Connection presets for the mail providers our users have most."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True, slots=True)
class Preset:
    key: str
    label: object  # lazy translated string
    imap_host: str
    imap_port: int
    imap_security: str
    smtp_host: str
    smtp_port: int
    smtp_security: str
    # Providers that store what is sent through their SMTP in Sent themselves: Keyou
    # must not append a second copy over IMAP.
    server_saves_sent: bool
    help: object = ""


PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        Preset(
            "exmail_qq",
            _("Tencent Exmail (腾讯企业邮)"),
            "imap.exmail.qq.com",
            993,
            "ssl",
            "smtp.exmail.qq.com",
            465,
            "ssl",
            False,
            _(
                "Turn on IMAP/SMTP in the Exmail settings; use a client-specific password if required."
            ),
        ),
        Preset(
            "aliyun_qiye",
            _("Alibaba Mail (阿里企业邮箱)"),
            "imap.qiye.aliyun.com",
            993,
            "ssl",
            "smtp.qiye.aliyun.com",
            465,
            "ssl",
            False,
            _("Turn on the IMAP/SMTP service for the account in the admin console."),
        ),
        Preset(
            "netease_qiye",
            _("NetEase Enterprise Mail (网易企业邮箱)"),
            "imap.qiye.163.com",
            993,
            "ssl",
            "smtp.qiye.163.com",
            994,
            "ssl",
            False,
            _("Use a client authorisation code if your admin enforces one."),
        ),
        Preset(
            "feishu",
            _("Feishu Mail (飞书邮箱)"),
            "imap.feishu.cn",
            993,
            "ssl",
            "smtp.feishu.cn",
            465,
            "ssl",
            False,
            _("Create an IMAP/SMTP password under Feishu Mail settings → third-party clients."),
        ),
        Preset(
            "google",
            _("Google Workspace"),
            "imap.gmail.com",
            993,
            "ssl",
            "smtp.gmail.com",
            465,
            "ssl",
            True,
            _("Use an app password (2-step verification must be on)."),
        ),
        Preset(
            "microsoft365",
            _("Microsoft 365"),
            "outlook.office365.com",
            993,
            "ssl",
            "smtp.office365.com",
            587,
            "starttls",
            True,
            _("Basic authentication must be allowed for the mailbox; use an app password."),
        ),
    )
}


def preset_get(key: str) -> Preset | None:
    """Return the preset KEY, or None for a custom server."""
    return PRESETS.get(key)
