"""Two people claim the same pool account at the same moment (PostgreSQL, real threads)."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection

from keyou.crm.models import Account
from keyou.people.models import Team
from keyou.people.services import user_add
from keyou.pool.models import MoveKind, PoolMove
from keyou.pool.services import PoolRefused, account_claim

pytestmark = pytest.mark.skipif(
    not os.environ.get("KEYOU_TEST_DATABASE_URL"), reason="needs PostgreSQL (row locks)"
)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_exactly_one_of_two_simultaneous_claims_wins():
    dave = user_add(username="rdave", email="rdave@x.test", team="Race", role="salesperson")
    erin = user_add(username="rerin", email="rerin@x.test", team="Race", role="salesperson")
    team = Team.objects.get(name="Race")
    rounds = 15
    accounts = [Account.objects.create(name=f"Race {i}", team=team) for i in range(rounds)]
    outcomes: dict[int, list[str]] = {a.pk: [] for a in accounts}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker(user) -> None:
        try:
            for account in accounts:
                barrier.wait()  # both claim the same account at the same moment
                try:
                    account_claim(actor=user, account=account.pk)
                    outcomes[account.pk].append(f"won:{user.username}")
                except PoolRefused as refused:
                    outcomes[account.pk].append(str(refused))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(u,)) for u in (dave, erin)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for account in accounts:
        results = sorted(outcomes[account.pk])
        assert len(results) == 2
        assert results[0] == "This account was already claimed by someone else."
        assert results[1].startswith("won:")
        account.refresh_from_db()
        assert account.owner.username == results[1].removeprefix("won:")
        assert PoolMove.objects.filter(account=account, kind=MoveKind.CLAIMED).count() == 1
