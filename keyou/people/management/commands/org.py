"""keyou org set --name N --domains a.com,b.com [--timezone Asia/Shanghai]"""

from keyou.clikit import CommandError, JsonCommand
from keyou.people.models import Organization
from keyou.people.services import InvalidInput, organization_set


class Command(JsonCommand):
    help = "Show or change the organisation settings."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        setp = sub.add_parser("set", help="change name, own domains, time zone")
        setp.add_argument("--name")
        setp.add_argument("--domains", help="comma-separated own domains")
        setp.add_argument("--timezone")
        setp.add_argument("--json", action="store_true")
        showp = sub.add_parser("show")
        showp.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        if options["action"] == "set":
            domains = None
            if options["domains"] is not None:
                domains = [d for d in options["domains"].split(",") if d.strip()]
            try:
                org = organization_set(
                    name=options["name"], domains=domains, time_zone=options["timezone"]
                )
            except InvalidInput as exc:
                raise CommandError(str(exc)) from None
        else:
            org = Organization.get()
        data = {"name": org.name, "domains": org.own_domains, "timezone": org.time_zone}
        self.emit(options, data, f"{org.name} · {', '.join(org.own_domains)} · {org.time_zone}")
