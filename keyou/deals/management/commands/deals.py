"""keyou deals pipelines|list|show|move|stall-sweep|rates"""

from __future__ import annotations

from datetime import date

from keyou.clikit import CommandError, JsonCommand
from keyou.crm.selectors import NotFound
from keyou.deals import money, selectors
from keyou.deals.models import Deal
from keyou.deals.pipelines import InvalidPipeline, pipeline_get, pipelines_list
from keyou.deals.services import InvalidDeal, MissingFields, deal_move_stage
from keyou.deals.stall import deals_stall_sweep
from keyou.errors import UserFixableError
from keyou.people.access import SYSTEM
from keyou.people.services import user_find


def _deal_row(deal: Deal) -> dict:
    return {
        "id": deal.pk,
        "title": deal.title,
        "account": {"id": deal.account_id, "name": deal.account.name},
        "pipeline": deal.pipeline.name,
        "stage": deal.stage.name,
        "status": deal.status,
        "owner": deal.owner.username if deal.owner_id else None,
        "amount": str(deal.amount) if deal.amount is not None else None,
        "currency": deal.currency,
        "expected_close": deal.expected_close,
        "stage_entered_at": deal.stage_entered_at,
        "stalled_at": deal.stalled_at,
        "closed_at": deal.closed_at,
    }


def _set_values(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs or []:
        field, sep, value = pair.partition("=")
        if not sep or not field.strip():
            raise CommandError(f"--set wants field=value, not {pair!r}")
        values[field.strip()] = value.strip()
    return values


class Command(JsonCommand):
    help = "Pipelines and deals: list, show, move a deal, run the stall sweep, keep the rates."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        pipes = sub.add_parser("pipelines", help="the pipelines and their stages")
        lst = sub.add_parser("list", help="list deals")
        lst.add_argument("--pipeline", default="", help="pipeline id or name")
        lst.add_argument("--stage", default="", help="stage id")
        lst.add_argument("--owner", default="", metavar="USERNAME")
        lst.add_argument("--status", default="", choices=["", "open", "won", "lost"])
        lst.add_argument("--q", default="")
        lst.add_argument("--limit", type=int, default=100)
        show = sub.add_parser("show", help="one deal with its stage history and records")
        show.add_argument("id")
        move = sub.add_parser("move", help="move a deal to a stage")
        move.add_argument("id")
        move.add_argument("stage", help="stage id or name")
        move.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="fill a field the stage requires (amount, currency, expected_close, "
            "source, contacts, lost_reason, lost_note)",
        )
        sweep = sub.add_parser("stall-sweep", help="fire deal.stalled for deals left too long")
        rates = sub.add_parser("rates", help="the exchange-rate table")
        rates_sub = rates.add_subparsers(dest="rates_action")
        rate_set = rates_sub.add_parser("set", help="set a currency's rate from a date on")
        rate_set.add_argument("currency")
        rate_set.add_argument("rate")
        rate_set.add_argument("--from", dest="valid_from", required=True, metavar="YYYY-MM-DD")
        rate_list = rates_sub.add_parser("list", help="print the rate table")
        for p in (pipes, lst, show, move, sweep, rates, rate_set, rate_list):
            p.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        action = options["action"].replace("-", "_")
        try:
            getattr(self, f"_{action}")(options)
        except MissingFields as exc:
            raise CommandError(f"{exc} (give them with --set field=value)") from None
        except (NotFound, UserFixableError, InvalidPipeline, InvalidDeal) as exc:
            raise CommandError(str(exc)) from None

    def _pipelines(self, options):
        data = [
            {
                "id": p.pk,
                "name": p.name,
                "default": p.is_default,
                "stages": [
                    {
                        "id": s.pk,
                        "name": s.name,
                        "kind": s.kind,
                        "probability": s.probability,
                        "required_fields": s.required_fields,
                        "stall_days": s.stall_days,
                        "sop": s.sop,
                    }
                    for s in p.stages.all()
                ],
            }
            for p in pipelines_list()
        ]
        lines = []
        for p in data:
            lines.append(f"{p['id']:>4}  {p['name']}{'  (default)' if p['default'] else ''}")
            for s in p["stages"]:
                extra = (
                    f" requires {','.join(s['required_fields'])}" if s["required_fields"] else ""
                )
                stall = f" stalls after {s['stall_days']}d" if s["stall_days"] else ""
                lines.append(
                    f"      {s['id']:>4}  {s['name'][:24]:24} {s['kind']:5} {s['probability']:>3}%"
                    f"{extra}{stall}"
                )
        self.emit(options, data, "\n".join(lines))

    def _list(self, options):
        pipeline = pipeline_get(options["pipeline"]) if options["pipeline"] else None
        owner = user_find(options["owner"]) if options["owner"] else None
        stage = options["stage"]
        filters = selectors.DealFilters(
            pipeline_id=pipeline.pk if pipeline else None,
            stage_id=int(stage) if stage.isdigit() else None,
            owner_id=owner.pk if owner else None,
            status=options["status"],
            q=options["q"],
        )
        rows = [_deal_row(d) for d in selectors.deals_list(SYSTEM, filters)[: options["limit"]]]
        text = "\n".join(
            f"{r['id']:>6}  {r['title'][:36]:36}  {r['account']['name'][:24]:24}  "
            f"{r['stage'][:14]:14}  {r['status']:5}  {r['amount'] or '':>12} {r['currency']}"
            for r in rows
        )
        self.emit(options, rows, text or "no deals")

    def _show(self, options):
        deal = selectors.deal_get_for(SYSTEM, options["id"])
        data = _deal_row(deal)
        data["history"] = [
            {
                "from": c.from_stage.name if c.from_stage else None,
                "to": c.to_stage.name,
                "at": c.at,
                "by": c.actor.username if c.actor else None,
            }
            for c in selectors.deal_stage_history(deal)
        ]
        data["records"] = [
            {
                "kind": r.kind,
                "number": r.number,
                "date": r.date,
                "amount": str(r.amount),
                "currency": r.currency,
                "status": r.status,
            }
            for r in deal.records.all()
        ]
        data["lines"] = [
            {
                "product": line.product,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
            }
            for line in deal.lines.all()
        ]
        text = [
            f"{deal.title} (#{deal.pk}) · {deal.account.name}",
            f"stage {deal.stage.name} ({deal.status}), owner {data['owner'] or '-'}",
            f"amount {data['amount'] or '-'} {deal.currency}, expected close "
            f"{deal.expected_close or '-'}",
        ]
        text += [
            f"  {h['at']:%Y-%m-%d %H:%M}  {h['from'] or '·'} → {h['to']}" for h in data["history"]
        ]
        text += [
            f"  {r['number']}  {r['kind']}  {r['amount']} {r['currency']}  {r['status']}"
            for r in data["records"]
        ]
        self.emit(options, data, "\n".join(text))

    def _move(self, options):
        deal = selectors.deal_get_for(SYSTEM, options["id"])
        values = _set_values(options["set"])
        deal = deal_move_stage(actor=SYSTEM, deal=deal, stage=options["stage"], values=values)
        self.emit(
            options, _deal_row(deal), f"{deal.title} (#{deal.pk}) is now in {deal.stage.name}"
        )

    def _stall_sweep(self, options):
        fired = deals_stall_sweep()
        self.emit(options, {"stalled": fired}, f"{fired} deal(s) stalled")

    def _rates(self, options):
        if options.get("rates_action") == "set":
            try:
                valid_from = date.fromisoformat(options["valid_from"])
            except ValueError:
                raise CommandError("--from wants a date, YYYY-MM-DD") from None
            row = money.rate_set(
                actor=SYSTEM,
                currency=options["currency"],
                rate=options["rate"],
                valid_from=valid_from,
            )
            data = {"currency": row.currency, "rate": str(row.rate), "valid_from": row.valid_from}
            text = f"1 {row.currency} = {row.rate} {money.company_currency()} from {row.valid_from}"
            self.emit(options, data, text)
            return
        rows = [
            {"currency": r.currency, "rate": str(r.rate), "valid_from": r.valid_from}
            for r in money.rates_list()
        ]
        text = "\n".join(f"{r['currency']}  {r['rate']:>16}  {r['valid_from']}" for r in rows)
        self.emit(options, rows, text or "no rates")
