"""keyou bootstrap: make sure an admin login exists and print how to sign in."""

import secrets

from django.conf import settings

from keyou.clikit import JsonCommand
from keyou.people.models import User
from keyou.people.services import user_add


class Command(JsonCommand):
    help = "Create the first admin (once) and print the URL and login."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--url", default="http://127.0.0.1:8000")

    def handle(self, *args, **options):
        path = settings.DATA_DIR / "admin-password.txt"
        username = options["username"]
        if not User.objects.filter(username=username).exists():
            password = secrets.token_urlsafe(12)
            user_add(username=username, email="", admin=True, password=password)
            path.write_text(password + "\n", encoding="utf-8")
            path.chmod(0o600)
        password = path.read_text(encoding="utf-8").strip() if path.exists() else "(unchanged)"
        data = {"url": options["url"], "username": username, "password": password}
        text = f"Keyou is at {options['url']}\nLog in as {username} / {password}  (kept in {path})"
        from keyou.demo.setup import DEMO_PASSWORD, demo_loaded

        if demo_loaded():
            sample = []
            for role in ("team_lead", "salesperson", "director", "regional_manager", "finance"):
                user = User.objects.filter(role__slug=role, is_active=True).order_by("pk").first()
                if user is not None:
                    sample.append((user.username, role))
            data["demo_users"] = [{"username": u, "role": r} for u, r in sample]
            data["demo_password"] = DEMO_PASSWORD
            logins = ", ".join(f"{u} ({r.replace('_', ' ')})" for u, r in sample)
            text += f"\nDemo logins: {logins} / {DEMO_PASSWORD}"
        self.emit(options, data, text)
