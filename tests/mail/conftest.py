import pytest

from keyou.mail.services import mailbox_add
from keyou.people.services import organization_set, user_add


@pytest.fixture
def org(db):
    """A company with own domain demo-trading.com, two salespeople and sales@."""
    organization_set(name="Demo Trading", domains=["demo-trading.com"], time_zone="Asia/Shanghai")
    alice = user_add(
        username="alice", email="alice@demo-trading.com", team="Europe", role="team_lead"
    )
    bob = user_add(username="bob", email="bob@demo-trading.com", team="Europe", role="team_lead")
    carol = user_add(username="carol", email="carol@demo-trading.com", team="Asia")
    boxes = {
        "alice": mailbox_add(address="alice@demo-trading.com", owner="alice"),
        "bob": mailbox_add(address="bob@demo-trading.com", owner="bob"),
        "carol": mailbox_add(address="carol@demo-trading.com", owner="carol"),
        "sales": mailbox_add(address="sales@demo-trading.com", kind="shared"),
    }
    return {"alice": alice, "bob": bob, "carol": carol, "boxes": boxes}
