"""keyou rules list|show|enable|disable|export|import|dry-run|templates|install|runs|process."""

import json
from pathlib import Path

from django.utils import timezone

from keyou.automation.dryrun import rule_dry_run
from keyou.automation.models import Rule
from keyou.automation.outbox import events_process
from keyou.automation.selectors import rule_runs
from keyou.automation.services import (
    InvalidRule,
    rule_as_json,
    rule_enable,
    rules_export,
    rules_import,
    templates_install,
)
from keyou.automation.templates import TEMPLATES
from keyou.automation.timers import timers_sweep
from keyou.clikit import CommandError, JsonCommand, to_json
from keyou.people.access import SYSTEM


def _rule(ref: str) -> Rule:
    rule = Rule.objects.filter(pk=int(ref)).first() if ref.isdigit() else None
    rule = rule or Rule.objects.filter(name=ref).first()
    if rule is None:
        raise CommandError(f"no rule {ref!r}")
    return rule


def _row(rule: Rule) -> dict:
    return {"id": rule.pk, "position": rule.position, **rule_as_json(rule)}


class Command(JsonCommand):
    help = "Automation rules: list, switch, export/import as JSON, dry-run, built-in templates."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        parsers = [sub.add_parser("list", help="rules in the order they run")]
        for name in ("show", "enable", "disable"):
            p = sub.add_parser(name, help=f"{name} a rule (id or name)")
            p.add_argument("rule")
            parsers.append(p)
        p = sub.add_parser("export", help="every rule as JSON")
        p.add_argument("--out", help="write to this file (default: print)")
        parsers.append(p)
        p = sub.add_parser("import", help="add the rules of an exported file (disabled)")
        p.add_argument("file")
        parsers.append(p)
        p = sub.add_parser("dry-run", help="what a rule would have done; changes nothing")
        p.add_argument("rule")
        p.add_argument("--days", type=int, default=30)
        parsers.append(p)
        parsers.append(sub.add_parser("templates", help="the built-in templates"))
        p = sub.add_parser("install", help="install built-in templates")
        p.add_argument("slugs", nargs="+", help="template slugs (see `rules templates`)")
        p.add_argument("--disabled", action="store_true", help="install them switched off")
        p.add_argument("--support-team", default="", help="team for complaint tasks")
        parsers.append(p)
        p = sub.add_parser("runs", help="the run log, newest first")
        p.add_argument("--rule", help="only this rule")
        p.add_argument("--limit", type=int, default=50)
        parsers.append(p)
        parsers.append(sub.add_parser("process", help="fire timers and handle pending events now"))
        for p in parsers:
            p.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except InvalidRule as exc:
            raise CommandError(str(exc)) from None

    def _list(self, options):
        rows = [_row(r) for r in Rule.objects.order_by("position", "id")]
        lines = [
            f"{r['id']:>4}  {'on ' if r['enabled'] else 'off'}  {r['trigger']:<22} {r['name']}"
            for r in rows
        ]
        self.emit(options, rows, "\n".join(lines) or "no rules")

    def _show(self, options):
        row = _row(_rule(options["rule"]))
        self.emit(options, row, to_json(row))

    def _enable(self, options, enabled=True):
        rule = rule_enable(actor=SYSTEM, rule=_rule(options["rule"]), enabled=enabled)
        state = "enabled" if rule.enabled else "disabled"
        self.emit(options, _row(rule), f"{rule.name}: {state}")

    def _disable(self, options):
        self._enable(options, enabled=False)

    def _export(self, options):
        document = rules_export(actor=SYSTEM)
        text = to_json(document)
        if options.get("out"):
            Path(options["out"]).write_text(text + "\n", encoding="utf-8")
            self.emit(
                options, {"rules": len(document["rules"]), "out": options["out"]}, options["out"]
            )
        else:
            self.stdout.write(text)

    def _import(self, options):
        try:
            document = json.loads(Path(options["file"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from None
        made = rules_import(actor=SYSTEM, document=document)
        self.emit(
            options,
            [_row(r) for r in made],
            f"imported {len(made)} rule(s), disabled: " + ", ".join(r.name for r in made),
        )

    def _dry_run(self, options):
        result = rule_dry_run(_rule(options["rule"]), days=max(1, min(options["days"], 90)))
        rows = [
            {
                "at": m.at,
                "account": m.account.name if m.account else None,
                "thread": m.thread_id,
                "subject": m.subject,
                "why": list(m.why),
                "actions": m.actions,
            }
            for m in result.matches
        ]
        head = f"checked {result.checked}, would fire {len(rows)} time(s); nothing was changed"
        lines = [head] + [
            f"{timezone.localtime(r['at']):%Y-%m-%d %H:%M}  {r['account'] or '-'}: "
            f"{'; '.join(r['actions'])}"
            for r in rows
        ]
        self.emit(options, {"checked": result.checked, "matches": rows}, "\n".join(lines))

    def _templates(self, options):
        installed = set(Rule.objects.values_list("template", flat=True))
        rows = [
            {"slug": t.slug, "title": str(t.title), "installed": t.slug in installed}
            for t in TEMPLATES
        ]
        lines = [
            f"{r['slug']:<12} {'installed' if r['installed'] else '-':<10} {r['title']}"
            for r in rows
        ]
        self.emit(options, rows, "\n".join(lines))

    def _install(self, options):
        made = templates_install(
            actor=SYSTEM,
            choices={slug: not options["disabled"] for slug in options["slugs"]},
            support_team=options["support_team"],
        )
        self.emit(options, [_row(r) for r in made], f"installed {len(made)} rule(s)")

    def _runs(self, options):
        runs = rule_runs(SYSTEM, _rule(options["rule"]) if options.get("rule") else None)
        rows = [
            {
                "id": run.pk,
                "rule": run.rule.name,
                "event": run.event.kind if run.event_id else None,
                "account": run.account_id,
                "status": run.status,
                "attempts": run.attempts,
                "why": run.why,
                "results": run.results,
                "error": run.error,
                "at": run.created_at,
            }
            for run in runs[: options["limit"]]
        ]
        lines = [
            f"{timezone.localtime(r['at']):%Y-%m-%d %H:%M}  {r['status']:<8} {r['rule']}: "
            f"{'; '.join(r['results']) or r['error']}"
            for r in rows
        ]
        self.emit(options, rows, "\n".join(lines) or "no runs")

    def _process(self, options):
        emitted = timers_sweep()
        handled = events_process(limit=10_000)
        self.emit(
            options,
            {"timer_events": emitted, "handled": handled},
            f"timers emitted {emitted} event(s); handled {handled} event(s)",
        )
