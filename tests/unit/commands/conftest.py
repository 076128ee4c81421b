"""The agent-side fixtures (fake collector, agents) for the enroll and submit command tests."""

from tests.unit.agent.conftest import agent, collector, enrolled, make_agent  # noqa: F401
