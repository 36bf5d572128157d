"""The `keyou` console script: Django's management commands under one name.

`keyou import-mail ...` is `manage.py import_mail ...`; every sub-command is an
ordinary management command living in the app it belongs to.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run the keyou command line with ARGV (defaults to sys.argv[1:])."""
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyou.settings")
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["keyou", *args])


if __name__ == "__main__":
    main()
