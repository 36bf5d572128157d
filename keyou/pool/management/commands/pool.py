"""keyou pool list|claim|release|sweep|policies|approvals"""

from __future__ import annotations

from keyou.clikit import CommandError, JsonCommand
from keyou.clitime import parse_instant
from keyou.crm.models import Account
from keyou.crm.selectors import NotFound, account_get_for
from keyou.errors import UserFixableError
from keyou.people.access import SYSTEM, NotAllowed
from keyou.people.services import InvalidInput, user_find
from keyou.pool.models import PoolPolicy
from keyou.pool.selectors import (
    PoolFilters,
    approvals_pending_for,
    pool_limits_for,
    pool_list,
)
from keyou.pool.services import account_claim, account_release
from keyou.pool.sweep import pool_sweep


def _row(account: Account) -> dict:
    return {
        "id": account.pk,
        "name": account.name,
        "country": account.country,
        "tier": account.tier,
        "lifecycle": account.lifecycle,
        "team": account.team.name if account.team_id else None,
        "pooled_at": account.pooled_at,
    }


def _policy_row(policy: PoolPolicy) -> dict:
    return {
        "id": policy.pk,
        "position": policy.position,
        "name": policy.name,
        "enabled": policy.enabled,
        "trigger": policy.trigger,
        "after_hours": policy.after_hours,
        "lifecycles": policy.lifecycles,
        "tiers": policy.tiers,
        "tags": policy.tags,
        "warn_hours": policy.warn_hours,
        "protection_days": policy.protection_days,
        "requires_approval": policy.requires_approval,
        "redistribute": policy.redistribute,
        "redistribute_team": policy.redistribute_team.name if policy.redistribute_team else None,
    }


class Command(JsonCommand):
    help = "The public customer pool: list, claim, release, the nightly sweep, policies, approvals."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        lst = sub.add_parser("list", help="accounts in the pool (as USER sees it, else all)")
        lst.add_argument("--user", metavar="USERNAME", default="")
        lst.add_argument("--q", default="")
        lst.add_argument("--country", default="")
        lst.add_argument("--tier", default="")
        lst.add_argument("--lifecycle", default="")
        lst.add_argument("--limit", type=int, default=100)
        claim = sub.add_parser("claim", help="claim a pool account for a user")
        claim.add_argument("ref", metavar="ID_OR_DOMAIN")
        claim.add_argument("--user", metavar="USERNAME", required=True)
        release = sub.add_parser("release", help="give a user's account back to the pool")
        release.add_argument("ref", metavar="ID_OR_DOMAIN")
        release.add_argument("--user", metavar="USERNAME", required=True)
        release.add_argument("--reason", default="")
        sweep = sub.add_parser("sweep", help="run the reclaim sweep now (or as if at --now)")
        sweep.add_argument("--now", default="", help="ISO time (company zone if no offset)")
        policies = sub.add_parser(
            "policies", help="the reclaim policies (every one covering an account applies)"
        )
        approvals = sub.add_parser("approvals", help="reclaims waiting for a manager")
        for p in (lst, claim, release, sweep, policies, approvals):
            p.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        action = options["action"]
        try:
            getattr(self, f"_{action}")(options)
        except NotFound as exc:
            raise CommandError(f"not found: {exc}") from None
        except NotAllowed as exc:
            raise CommandError(f"not allowed: the user's role lacks {exc}") from None
        except (UserFixableError, InvalidInput) as exc:
            raise CommandError(str(exc)) from None

    def _account_id(self, ref: str) -> int:
        return account_get_for(SYSTEM, ref).pk

    def _list(self, options):
        actor = user_find(options["user"]) if options["user"] else SYSTEM
        filters = PoolFilters(
            q=options["q"],
            country=options["country"],
            tier=options["tier"],
            lifecycle=options["lifecycle"],
        )
        rows = [_row(a) for a in pool_list(actor, filters)[: options["limit"]]]
        text = "\n".join(
            f"{r['id']:>6}  {r['name'][:40]:40}  {r['country'] or '--':2}  {r['tier'] or '-'}  "
            f"{r['lifecycle']:9}  {r['team'] or '-'}"
            for r in rows
        )
        self.emit(options, rows, text or "the pool is empty")

    def _claim(self, options):
        user = user_find(options["user"])
        account = account_claim(actor=user, account=self._account_id(options["ref"]))
        limits = pool_limits_for(user)
        data = {**_row(account), "owner": user.username, "held": limits.held}
        self.emit(options, data, f"{account.name} (#{account.pk}) now belongs to {user.username}")

    def _release(self, options):
        user = user_find(options["user"])
        account = account_release(
            actor=user, account=self._account_id(options["ref"]), reason=options["reason"]
        )
        self.emit(options, _row(account), f"{account.name} (#{account.pk}) is in the pool")

    def _sweep(self, options):
        now = parse_instant(options["now"]) if options["now"] else None
        result = pool_sweep(now=now)
        data = vars(result)
        text = (
            f"{result.owned} owned, {result.covered} covered by a policy: warned {result.warned}, "
            f"reclaimed {result.reclaimed} (redistributed {result.redistributed}), "
            f"approvals asked {result.approvals_asked}, cancelled {result.approvals_cancelled} "
            f"in {result.seconds:.2f} s"
        )
        self.emit(options, data, text)

    def _policies(self, options):
        rows = [
            _policy_row(p)
            for p in PoolPolicy.objects.select_related("redistribute_team").order_by(
                "position", "id"
            )
        ]
        text = "\n".join(
            f"{r['position']:>3}  {r['name'][:30]:30}  {'on ' if r['enabled'] else 'off'}  "
            f"{r['trigger']:16}  after {r['after_hours']} h  then {r['redistribute']}"
            + ("  (approval)" if r["requires_approval"] else "")
            for r in rows
        )
        self.emit(options, rows, text or "no reclaim policies")

    def _approvals(self, options):
        rows = [
            {
                "id": a.pk,
                "account": a.account.name,
                "account_id": a.account_id,
                "owner": a.owner.username if a.owner else None,
                "policy": a.policy.name if a.policy else None,
                "requested_at": a.requested_at,
            }
            for a in approvals_pending_for(SYSTEM)
        ]
        text = "\n".join(
            f"{r['id']:>5}  {r['account'][:40]:40}  {r['owner'] or '-':12}  {r['policy'] or '-'}"
            for r in rows
        )
        self.emit(options, rows, text or "no reclaims waiting")
