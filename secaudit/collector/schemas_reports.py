"""Response shapes of the read routes (api_reports.py), so the published OpenAPI says what they answer.
Times are RFC 3339 UTC strings, days YYYY-MM-DD; statuses are the report's (pass, warn, fail, unknown,
not_applicable, error, and for requirements attested)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Bilingual(BaseModel):
    vi: str
    en: str


class StatusCounts(BaseModel):
    """Counts per status. `attested`: requirements the school answered "yes" to a question no machine can
    check (the report's `attestations`); never `pass`, left out of `pass_rate` and the score. Always 0 in a
    host's overall status and a report's counts (what the machine judged)."""

    pass_: int = Field(0, alias="pass")
    warn: int = 0
    fail: int = 0
    unknown: int = 0
    not_applicable: int = 0
    error: int = 0
    attested: int = 0

    model_config = ConfigDict(populate_by_name=True)


class UnitInfo(BaseModel):
    code: str
    name: str
    level: str
    path: list[str]
    playbook: str | None


class UnitCode(BaseModel):
    code: str
    name: str


class LatestReport(BaseModel):
    id: int
    sequence: int | None
    generated_at: str | None


class HostBrief(BaseModel):
    id: int
    kind: str  # host | device
    hostname: str
    os: str
    role: str
    unit: UnitCode | None
    score: int | None
    worst: str | None
    playbook: str | None
    first_seen: str | None
    last_seen: str | None
    latest_report: LatestReport | None


class Totals(BaseModel):
    hosts: int
    score: int | None
    status: StatusCounts


class ChildSummary(Totals):
    code: str
    name: str
    level: str


class RequirementSummary(BaseModel):
    id: str
    clause: str
    title: Bilingual
    counts: StatusCounts
    pass_rate: int | None  # % pass of the counts but not_applicable and attested; None when only those


class ClauseSummary(BaseModel):
    clause: str
    text: Bilingual
    requirements: list[str]
    counts: StatusCounts


class Summary(BaseModel):
    unit: UnitInfo
    as_of: str
    totals: Totals
    children: list[ChildSummary]
    requirements: list[RequirementSummary]
    clauses: list[ClauseSummary]
    worst_hosts: list[HostBrief]
    hosts: list[HostBrief]
    hosts_total: int


class Period(BaseModel):
    start: str
    due: str


class LateUnit(BaseModel):
    code: str
    name: str
    playbook: str | None
    cadence: str | None
    last_report_at: str | None
    period: Period
    status: str  # missing | late | pending
    days_overdue: int | None = None
    days_left: int | None = None


class GapRange(BaseModel):
    first: int
    last: int
    noted_at: str | None


class AgentGaps(BaseModel):
    agent_id: str
    hostname: str
    unit: str
    missing: list[GapRange]
    count: int


class LateTotals(BaseModel):
    late: int
    pending: int
    on_time: int
    no_cadence: int
    gaps: int


class Late(BaseModel):
    unit: str
    as_of: str
    late: list[LateUnit]
    pending: list[LateUnit]
    on_time: list[str]
    no_cadence: list[str]
    gaps: list[AgentGaps]
    totals: LateTotals | None = Field(None, description="the full length of each list (they are paged)")
    limit: int | None = None
    offset: int | None = None


class MonthPoint(BaseModel):
    month: str
    reports: int
    hosts: int
    score: int | None
    fails: int
    late_reports: int


class RequirementMonth(BaseModel):
    month: str
    counts: StatusCounts


class RequirementHistory(BaseModel):
    id: str
    months: list[RequirementMonth]


class History(BaseModel):
    unit: str
    months: list[MonthPoint]
    requirement: RequirementHistory | None = None


class Hit(BaseModel):
    host: HostBrief
    field: str
    value: str
    first_seen: str | None
    last_seen: str | None
    current: bool
    signature_time: str | None = None
    signature_age_days: int | None = None
    running: bool | None = None


class SearchResult(BaseModel):
    q: str
    field: str
    hits: list[Hit]
    count: int


class InventoryChange(BaseModel):
    kind: str
    items: int
    first_seen: str | None
    last_seen: str | None
    current: bool


class HostReport(BaseModel):
    id: int
    kind: str
    sequence: int | None
    generated_at: str | None
    received_at: str | None
    playbook: str | None
    score: int | None
    counts: StatusCounts
    late: bool
    channel: str


class HostFinding(BaseModel):
    check_id: str
    title: Bilingual
    status: str
    severity: str | None


class HostDetail(BaseModel):
    host: HostBrief
    inventory: dict[str, list[dict[str, object]]]
    inventory_history: list[InventoryChange]
    reports: list[HostReport]
    findings: list[HostFinding]
