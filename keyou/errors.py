"""The error every service raises for something the user can fix."""

from __future__ import annotations

from django.utils.translation import gettext


class UserFixableError(ValueError):
    """Input or a change the user can fix; the message says how.

    Raised with an English template (marked with gettext_noop) and its parameters:
    `str()` is the message in English (the CLI and the API show it); `localized()`
    is the same message in the active language, for the web pages.
    """

    def __init__(self, message: str, **params: object) -> None:
        self.template = message
        self.params = params
        super().__init__(message % params if params else message)

    def localized(self) -> str:
        """Return the message translated into the active language."""
        text = gettext(self.template)
        return text % self.params if self.params else text
