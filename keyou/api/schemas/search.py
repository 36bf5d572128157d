"""Schemas of /search."""

from __future__ import annotations

from ninja import Schema

from keyou.api.schemas.accounts import AccountOut
from keyou.api.schemas.contacts import ContactWithAccountOut
from keyou.api.schemas.mail import MessageSummaryOut


class SearchOut(Schema):
    query: str
    accounts: list[AccountOut]
    contacts: list[ContactWithAccountOut]
    messages: list[MessageSummaryOut]
