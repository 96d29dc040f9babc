import pytest

from steward.accounts.tests.factories import make_agent


@pytest.mark.django_db
def test_agent_can_be_made():
    agent = make_agent()
    assert agent.has_perm("accounts.view_person")
