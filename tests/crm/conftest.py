"""Fixtures for the crm services: the web fixtures (people, crm, acme_mail, login)."""

from __future__ import annotations

from tests.web.conftest import acme_mail, crm, login, people  # noqa: F401
