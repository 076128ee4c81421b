"""Enrolled agents for the operator: list them, suspend (a cloned disk, a machine under investigation),
revoke (for good: its reports are refused and it cannot enroll again), or activate again a suspended one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from secaudit.collector.models import Agent, Unit, utcnow
from secaudit.errors import SecauditError

ACTIONS = {"suspend": "suspended", "revoke": "revoked", "activate": "active"}


class AgentError(SecauditError):
    """The agent cannot be found or changed (exit 2)."""


@dataclass(frozen=True)
class AgentRow:
    agent_id: str
    unit: str
    status: str
    hostname: str
    enrolled_at: datetime
    last_seen: datetime | None
    last_sequence: int | None
    keys: int


def listing(session: Session, unit_code: str | None = None) -> list[AgentRow]:
    query = select(Agent).join(Unit, Unit.id == Agent.unit_id).order_by(Unit.code, Agent.agent_id)
    if unit_code:
        unit = session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise AgentError(f"Không có đơn vị {unit_code[:64]!r}.", f"There is no unit {unit_code[:64]!r}.")
        query = query.where(Agent.unit_id.in_(select(Unit.id).where(Unit.path.startswith(unit.path))))
    return [AgentRow(a.agent_id, a.unit.code, a.status, a.hostname, a.enrolled_at, a.last_seen, a.last_sequence,
                     len(a.keys)) for a in session.scalars(query)]


def set_status(session: Session, agent_id: str, action: str) -> Agent:
    agent = session.scalar(select(Agent).where(Agent.agent_id == agent_id).with_for_update())
    if agent is None:
        raise AgentError(f"Không có máy {agent_id[:64]!r}.", f"There is no agent {agent_id[:64]!r}.")
    if agent.status == "revoked" and action != "revoke":
        raise AgentError("Máy đã bị thu hồi thì không kích hoạt lại được; cho máy đăng ký bằng khóa mới.",
                         "A revoked agent cannot be activated again; enroll the machine with a new key.")
    agent.status = ACTIONS[action]
    if action == "revoke":
        for key in agent.keys:
            key.revoked_at = key.revoked_at or utcnow()
    return agent
