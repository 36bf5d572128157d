"""Real mail servers for tests: a private Dovecot (IMAP) and an aiosmtpd SMTP server.

Both bind to 127.0.0.1 on a free port and live in a temporary directory. Use them
through the `dovecot` and `smtp_server` fixtures in tests/conftest.py.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port} within {timeout} s")


def dovecot_available() -> bool:
    return Path(DOVECOT).exists() and Path(DOVEADM).exists() and os.geteuid() == 0


@dataclass
class Dovecot:
    """A private Dovecot instance; users are added with `add_user`."""

    root: Path
    port: int = 0
    users: dict[str, str] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def _write_config(self) -> None:
        nobody = pwd.getpwnam("nobody")
        self.config.write_text(
            f"""
instance_name = keyou-test-{self.port}
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{self.root}/mail/%u
mail_uid = {nobody.pw_uid}
mail_gid = {nobody.pw_gid}
first_valid_uid = {nobody.pw_uid}
first_valid_gid = {nobody.pw_gid}
mail_fsync = never
imap_idle_notify_interval = 2 secs
mail_plugins = $mail_plugins
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = static
  args = uid={nobody.pw_uid} gid={nobody.pw_gid} home={self.root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
""",
            encoding="utf-8",
        )

    def _write_passwd(self) -> None:
        lines = [f"{user}:{{PLAIN}}{password}::::::" for user, password in self.users.items()]
        path = self.root / "passwd"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        path.chmod(0o644)

    def add_user(self, user: str, password: str) -> None:
        """Add (or change the password of) USER; Dovecot rereads the file on each login."""
        self.users[user] = password
        self._write_passwd()
        maildir = self.root / "mail" / user
        maildir.mkdir(parents=True, exist_ok=True)
        nobody = pwd.getpwnam("nobody")
        for path in (self.root / "mail", maildir):
            os.chown(path, nobody.pw_uid, nobody.pw_gid)

    def start(self) -> None:
        self.port = self.port or free_port()
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        nobody = pwd.getpwnam("nobody")
        os.chown(self.root / "mail", nobody.pw_uid, nobody.pw_gid)
        self._write_passwd()
        self._write_config()
        subprocess.run(
            [DOVECOT, "-c", str(self.config)],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.port)

    def stop(self) -> None:
        subprocess.run(
            [DOVEADM, "-c", str(self.config), "stop"],
            check=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        pid_file = self.root / "run" / "master.pid"
        deadline = time.monotonic() + 10
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def kill(self) -> None:
        """Stop the server the hard way: the master and every process it started, at once,
        so open client connections break as they would in a crash."""
        pid_file = self.root / "run" / "master.pid"
        if not pid_file.exists():
            return
        master = int(pid_file.read_text().strip())
        children = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True
        ).stdout.split()
        for pid in [master, *map(int, children)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        pid_file.unlink(missing_ok=True)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    time.sleep(0.05)
            except OSError:
                return

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self):
        return message_from_bytes(self.data)


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 that keeps what it receives in `self.received`.

    Optional authentication: set `users` to {login: password} to require AUTH.
    `reject_with` makes it refuse every message with that SMTP reply (e.g. "550 no").
    """

    def __init__(self, users: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.users = users or {}
        self.received: list[ReceivedMail] = []
        self.reject_with: str | None = None
        self._lock = threading.Lock()
        self._controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        server = self

        class Handler:
            async def handle_DATA(self, smtp, session, envelope):  # noqa: N802
                if server.reject_with:
                    return server.reject_with
                with server._lock:
                    server.received.append(
                        ReceivedMail(
                            envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)
                        )
                    )
                return "250 Message accepted for delivery"

        def authenticator(smtp, session, envelope, mechanism, auth_data):
            if isinstance(auth_data, LoginPassword):
                login = auth_data.login.decode()
                if server.users.get(login) == auth_data.password.decode():
                    return AuthResult(success=True)
            return AuthResult(success=False, handled=False)

        kwargs = {}
        if self.users:
            kwargs = {
                "authenticator": authenticator,
                "auth_require_tls": False,
                "auth_required": True,
            }
        self._controller = Controller(
            Handler(), hostname="127.0.0.1", port=self.port, ready_timeout=10, **kwargs
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages, got {len(self.received)}")
