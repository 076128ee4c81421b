"""Random unit trees for the access tests: a hypothesis strategy for a tree's shape (each unit's parent is
an earlier unit), and `plant` which imports it under a fresh province of a collector database, uploads a
small signed report for the units that have a host (every host has the same MAC 52:54:00:12:34:56 and a
software package named after its unit), and adds a web user scoped to one unit of it.

Names are made so that none is a substring of another (hx3x1z is not inside hx3x10z): a page that leaks
a host of another subtree is caught by a plain `in` on its text."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from hypothesis import strategies as st
from sqlalchemy import select

from secaudit.collector import users
from secaudit.collector.index_models import Host
from secaudit.collector.models import Report, User
from secaudit.collector.web import auth
from tests.unit.collector.web.dashboard_world import PASSWORD
from tests.unit.collector.world import World, report

SHARED_MAC = "52:54:00:12:34:56"  # every sample report's eth0
_TREES = count(1)


@dataclass(frozen=True)
class Shape:
    parents: tuple[int, ...]  # parents[i] is the parent of unit i + 1; unit 0 is the tree's root
    hosts: tuple[bool, ...]  # whether unit i has a host that reported
    scope: int  # the unit the user is scoped to
    role: str


@st.composite
def shapes(draw: st.DrawFn, max_units: int = 9) -> Shape:
    n = draw(st.integers(min_value=2, max_value=max_units))
    parents = tuple(draw(st.integers(min_value=0, max_value=i - 1)) for i in range(1, n))
    hosts = tuple(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    return Shape(parents, hosts, draw(st.integers(min_value=0, max_value=n - 1)),
                 draw(st.sampled_from(("admin", "officer", "responder"))))


@dataclass
class Planted:
    tree: int
    codes: list[str]
    user: str
    visible: set[str]  # codes of the user's subtree
    hosts: dict[str, tuple[int, str]] = field(default_factory=dict)  # hostname -> (host id, unit code)
    reports: dict[str, int] = field(default_factory=dict)  # hostname -> report id

    def hostname(self, code: str) -> str:
        return f"h{code.lower()}z"

    def software(self, code: str) -> str:
        return f"pkg{code.lower()}z"


def _subtree(parents: tuple[int, ...], root: int) -> set[int]:
    inside = {root}
    for child in range(1, len(parents) + 1):  # parents come before children
        if parents[child - 1] in inside:
            inside.add(child)
    return inside


def plant(world: World, shape: Shape) -> Planted:
    tree = next(_TREES)
    codes = [f"x{tree}x{i}" for i in range(len(shape.parents) + 1)]
    rows = ["code,name,parent,level,playbook", f"{codes[0]},Tỉnh {codes[0]},,province,dong-nai-2026"]
    rows += [f"{codes[i]},Đơn vị {codes[i]},{codes[p]},school," for i, p in enumerate(shape.parents, start=1)]
    world.units("\n".join(rows) + "\n")
    name = f"user{tree}z"
    with world.db.write() as session:
        users.add(session, name, shape.role, codes[shape.scope])
        user = session.scalar(select(User).where(User.name == name))
        assert user is not None
        auth.set_password(session, user, PASSWORD)
    visible = {codes[i] for i in _subtree(shape.parents, shape.scope)}
    out = Planted(tree, codes, name, visible)
    for i, has_host in enumerate(shape.hosts):
        if not has_host:
            continue
        payload = report(hostname=out.hostname(codes[i]), findings=4, software=2, seed=i)
        payload["inventory"]["software"].append({"name": out.software(codes[i]), "version": "1.0", "publisher": "x"})
        world.upload(world.agent(codes[i]), payload)
    with world.db.read() as session:
        for host in session.scalars(select(Host).where(Host.hostname.in_([out.hostname(c) for c in codes]))):
            code = next(c for c in codes if out.hostname(c) == host.hostname)
            out.hosts[host.hostname] = (host.id, code)
            if host.last_report_id:
                out.reports[host.hostname] = host.last_report_id
    return out


def max_ids(world: World) -> tuple[int, int]:
    """The highest host id and report id so far (guessed ids are above them)."""
    from sqlalchemy import func

    with world.db.read() as session:
        return (int(session.scalar(select(func.max(Host.id))) or 0), int(session.scalar(select(func.max(Report.id)))
                                                                         or 0))
