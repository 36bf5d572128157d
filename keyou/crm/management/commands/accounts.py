"""keyou accounts list|show|timeline|assign|create|import|dupes|duplicate-mode"""

from keyou.clikit import CommandError, JsonCommand
from keyou.crm import selectors
from keyou.crm.management import customer_commands
from keyou.crm.models import Account
from keyou.crm.services import InvalidChange, accounts_assign
from keyou.people.access import SYSTEM
from keyou.people.services import InvalidInput, user_find


def _account_row(account: Account) -> dict:
    return {
        "id": account.pk,
        "name": account.name,
        "domains": [d.domain for d in account.domains.all()],
        "country": account.country,
        "lifecycle": account.lifecycle,
        "owner": account.owner.username if account.owner else None,
        "team": account.team.name if account.team else None,
        "is_person": account.is_person,
        "tags": [t.name for t in account.tags.all()],
        "first_contact_at": account.first_contact_at,
        "last_inbound_at": account.last_inbound_at,
        "last_outbound_at": account.last_outbound_at,
    }


class Command(JsonCommand):
    help = "List customer accounts, show one, or print its timeline."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        lst = sub.add_parser("list", help="list accounts")
        lst.add_argument("--q", default="", help="search name, domain or contact address")
        lst.add_argument("--limit", type=int, default=100)
        show = sub.add_parser("show", help="one account with its contacts and counts")
        show.add_argument("ref", metavar="ID_OR_DOMAIN")
        tl = sub.add_parser("timeline", help="an account's timeline, newest first")
        tl.add_argument("ref", metavar="ID_OR_DOMAIN")
        tl.add_argument("--limit", type=int, default=0)
        assign = sub.add_parser("assign", help="give an account (and its contacts) to a user")
        assign.add_argument("ref", metavar="ID_OR_DOMAIN")
        assign.add_argument("--owner", required=True, metavar="USERNAME")
        for p in (lst, show, tl, assign):
            p.add_argument("--json", action="store_true")
        customer_commands.add_parsers(sub)

    def handle(self, *args, **options):
        action = options["action"]
        try:
            if action == "list":
                self._list(options)
            elif action == "show":
                self._show(options)
            elif action == "assign":
                self._assign(options)
            elif action in customer_commands.ACTIONS:
                customer_commands.run(self, options)
            else:
                self._timeline(options)
        except (selectors.NotFound, InvalidChange, InvalidInput) as exc:
            raise CommandError(str(exc)) from None

    def _assign(self, options):
        owner = user_find(options["owner"])
        account = selectors.account_get_for(SYSTEM, options["ref"])
        account = accounts_assign(actor=SYSTEM, account=account, owner=owner)
        data = _account_row(account)
        text = f"{account.name} (#{account.pk}) now belongs to {owner.username}"
        self.emit(options, data, text)

    def _list(self, options):
        qs = selectors.accounts_search(SYSTEM, q=options["q"]).select_related("owner", "team")
        rows = [_account_row(a) for a in qs.prefetch_related("domains", "tags")[: options["limit"]]]
        text = "\n".join(
            f"{r['id']:>6}  {r['name'][:40]:40}  {','.join(r['domains'])[:30]:30}  {r['lifecycle']}"
            for r in rows
        )
        self.emit(options, rows, text or "no accounts")

    def _show(self, options):
        account = selectors.account_get_for(SYSTEM, options["ref"])
        data = _account_row(account)
        data["contacts"] = [
            {
                "id": c.pk,
                "name": c.name,
                "title": c.title,
                "emails": [e.email for e in c.emails.all()],
                "phones": c.phones,
            }
            for c in selectors.account_contacts(SYSTEM, account)
        ]
        data["counts"] = selectors.account_counts(account)
        lines = [f"{account.name}  (#{account.pk}, {', '.join(data['domains']) or '-'})"]
        lines.append(f"lifecycle: {account.lifecycle}   owner: {data['owner'] or '-'}")
        lines += [
            f"  contact: {c['name'] or '-'} <{', '.join(c['emails'])}>" for c in data["contacts"]
        ]
        lines.append("counts: " + ", ".join(f"{k} {v}" for k, v in data["counts"].items()))
        self.emit(options, data, "\n".join(lines))

    def _timeline(self, options):
        entries = selectors.timeline_for(SYSTEM, options["ref"])
        if options["limit"]:
            entries = entries[: options["limit"]]
        rows = []
        for activity in entries:
            message = activity.message
            mailboxes = []
            if message is not None:
                mailboxes = sorted({c.mailbox.address for c in message.copies.all()})
            rows.append(
                {
                    "id": activity.pk,
                    "type": activity.kind,
                    "time": activity.occurred_at,
                    "subject": message.subject if message else activity.data.get("summary", ""),
                    "direction": message.direction if message else None,
                    "from": message.from_email if message else None,
                    "thread_id": activity.thread_id,
                    "message_id": message.pk if message else None,
                    "mailboxes": mailboxes,
                    "automated": message.is_automated if message else False,
                }
            )
        text = "\n".join(
            f"{r['time']:%Y-%m-%d %H:%M}  {r['type']:7} {(r['direction'] or ''):8} "
            f"[t{r['thread_id']}] {r['subject'][:60]}  ({', '.join(r['mailboxes'])})"
            for r in rows
        )
        self.emit(options, rows, text or "no timeline entries")
