"""keyou search rebuild|query"""

from keyou.clikit import CommandError, JsonCommand
from keyou.crm.models import Account, Contact
from keyou.mail.models import Message
from keyou.search.models import SearchKind
from keyou.search.selectors import Hit, search
from keyou.search.services import search_rebuild

_TITLE_FIELD = {
    SearchKind.MESSAGE: (Message, "subject"),
    SearchKind.ACCOUNT: (Account, "name"),
    SearchKind.CONTACT: (Contact, "name"),
}


def _titles(hits: list[Hit]) -> dict[tuple[str, int], str]:
    titles = {}
    for kind, (model, field) in _TITLE_FIELD.items():
        ids = [h.object_id for h in hits if h.kind == kind]
        for pk, title in model.objects.filter(pk__in=ids).values_list("pk", field):
            titles[kind, pk] = title
    return titles


class Command(JsonCommand):
    help = "Rebuild the full-text search index, or search it."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        rebuild = sub.add_parser("rebuild", help="index every message, account and contact again")
        rebuild.add_argument("--batch", type=int, default=500, help="objects per transaction")
        query = sub.add_parser("query", help="search messages, accounts and contacts")
        query.add_argument("text", metavar="TEXT")
        query.add_argument(
            "--kind", action="append", choices=SearchKind.values, help="only this kind (repeatable)"
        )
        query.add_argument("--limit", type=int, default=20)
        query.add_argument("--offset", type=int, default=0)
        for p in (rebuild, query):
            p.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        if options["action"] == "rebuild":
            self._rebuild(options)
        else:
            self._query(options)

    def _rebuild(self, options):
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        result = search_rebuild(batch_size=options["batch"])
        text = (
            f"indexed {result['messages']} messages, {result['accounts']} accounts, "
            f"{result['contacts']} contacts; removed {result['removed']} stale docs "
            f"in {result['seconds']} s"
        )
        self.emit(options, result, text)

    def _query(self, options):
        kinds = set(options["kind"]) if options["kind"] else None
        hits = search(
            options["text"], kinds=kinds, limit=options["limit"], offset=options["offset"]
        )
        titles = _titles(hits)
        rows = [
            {
                "kind": h.kind,
                "id": h.object_id,
                "rank": round(h.rank, 6),
                "title": titles.get((h.kind, h.object_id), ""),
            }
            for h in hits
        ]
        text = "\n".join(
            f"{r['kind']:8} {r['id']:>8}  {r['rank']:>10.4f}  {r['title'][:70]}" for r in rows
        )
        self.emit(options, rows, text or "no matches")
