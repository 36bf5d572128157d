"""The demo's sales: a salesperson works a deal across the board to Paid with SOP tasks
appearing; a neglected account went back to the pool after its warning, and another
salesperson claims it."""

from __future__ import annotations

from django.test import Client

from keyou.crm.models import Account, Task
from keyou.deals.models import Deal, DealStatus, StageKind
from keyou.demo.setup import DEMO_PASSWORD, demo_build
from keyou.pool.models import MoveKind, PoolMove


def _login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=DEMO_PASSWORD)
    return client


def test_a_deal_goes_to_paid_and_a_neglected_account_changes_hands(db, tmp_path):
    result = demo_build(work_dir=tmp_path / "demo", messages=300, seed=5)
    assert result["deals"] >= 10
    deals = Deal.objects.select_related("stage", "owner")
    # Every kind of stage holds a demo deal: open ones along the board, won and lost.
    kinds = {d.stage.kind for d in deals}
    assert kinds == {StageKind.OPEN, StageKind.WON, StageKind.LOST}
    assert len({d.stage_id for d in deals if d.status == DealStatus.OPEN}) >= 4

    # A salesperson takes an early deal across the board to Paid, in the browser.
    deal = deals.filter(status=DealStatus.OPEN, stage__position__lte=1).order_by("pk").first()
    seller = deal.owner
    browser = _login(seller)
    board = browser.get("/deals/")
    assert board.status_code == 200 and deal.title in board.content.decode()
    stages = list(
        deal.pipeline.stages.filter(position__gt=deal.stage.position).order_by("position")
    )
    sop_before = Task.objects.filter(deal_id=deal.pk).count()
    for stage in stages:
        if stage.kind == StageKind.LOST:
            continue
        response = browser.post(f"/deals/{deal.pk}/move/", {"stage": stage.pk})
        if response.status_code == 200:  # the stage asks for what it needs
            page = response.content.decode()
            assert "amount" in page.lower() or "close" in page.lower()
            response = browser.post(
                f"/deals/{deal.pk}/move/",
                {
                    "stage": stage.pk,
                    "asked": ["amount", "currency", "expected_close"],
                    "amount": "12000",
                    "currency": "USD",
                    "expected_close": "2027-03-31",
                },
            )
        assert response.status_code == 302, response.content.decode()[:2000]
        deal.refresh_from_db()
        assert deal.stage == stage
        if stage.kind == StageKind.WON:
            break
    assert deal.status == DealStatus.WON
    assert Task.objects.filter(deal_id=deal.pk).count() > sop_before  # SOP tasks appeared
    assert "Paid" in browser.get(f"/deals/{deal.pk}/").content.decode()

    # The neglected account: warned the night before, back in the pool tonight.
    neglected = Account.objects.get(name=result["neglected"])
    assert neglected.owner is None and neglected.pooled_at is not None
    moves = list(PoolMove.objects.filter(account=neglected).order_by("at", "id"))
    assert [m.kind for m in moves][:2] == [MoveKind.WARNED, MoveKind.RECLAIMED]
    previous = moves[0].user
    # Another salesperson of the same team finds it in the pool and claims it.
    other = (
        type(previous)
        .objects.filter(team=previous.team, role__slug="salesperson", is_active=True)
        .exclude(pk=previous.pk)
        .order_by("pk")
        .first()
    )
    browser = _login(other)
    assert neglected.name in browser.get("/pool/").content.decode()
    assert browser.post(f"/pool/{neglected.pk}/claim/").status_code == 302
    neglected.refresh_from_db()
    assert neglected.owner == other
    page = browser.get(f"/accounts/{neglected.pk}/").content.decode()
    for line in ("Claimed from the public pool", "Returned to the public pool", "unless the owner"):
        assert line in page, line
    # The previous owner may not take it back during the cooldown.
    _login(previous).post(f"/pool/{neglected.pk}/claim/")
    neglected.refresh_from_db()
    assert neglected.owner == other
