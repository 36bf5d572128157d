"""Keyou (客邮): a self-hosted, email-first CRM for B2B and foreign-trade sales teams."""

__version__ = "0.1.0"
