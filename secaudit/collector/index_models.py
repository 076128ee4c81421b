"""The query tables built from accepted reports (migration 0002_index). Derived data: everything here can
be rebuilt from the stored envelopes (`secaudit collector reindex`), the envelopes are the record.

Storage economy (issue: < 50 KB per monthly report of an unchanged host):
- envelope_blobs   large parts of report payloads (the software list, the findings...) stored once by
                   SHA-256; a report's envelope is kept as a small compressed recipe referring to them
                   (envelopes.py), byte-exact, checked before commit
- checks, requirements  catalog: ids and titles once, rows refer to them by integer
- findings, requirement_results  one narrow row per finding / requirement of a report (status, severity)
- hosts            one row per audited host (agent + hostname) or LAN device (scan reports: unit + MAC, else
                   IP), with its latest report and summary
- report_index     per report: host, summary counts and score, whether it was late (older sequence)
- inv_sets + inv_*  an inventory list (software, interfaces, ports, antivirus, device facts) is stored once
                   per distinct content (SHA-256 of its normalised rows) and shared by every host and report
                   that has it; host_sets says which host had which set, first and last seen; software rows
                   refer to software_items (each name/version/publisher once, what a search scans)
- rollups          status counts (`attested` included) of the hosts' latest requirement results per unit
                   INCLUDING its whole subtree (each host counts in every ancestor), so a summary reads a few
                   rows per child
- sequence_gaps    per agent, ranges of sequence numbers never received (withheld reports show up here)
- unit_months      per unit (INCLUDING its subtree) and month of receipt: the audit reports' figures of the
                   history (migration 0005_unit_months), so a province's trend reads 12 rows
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from secaudit.collector.models import Base, UTCDateTime

# The six statuses a machine judges: findings, the per-report counters (ReportIndex.n_*), a host's worst.
MACHINE_STATUSES = ("pass", "warn", "fail", "unknown", "not_applicable", "error")
# Every status a requirement row or rollup can have, stored as its position here: append only, never
# renumber (stored rows keep their codes). `attested` (6): the school's own "yes" to a question no machine
# can check (report `attestations`), a requirement's status only, never a finding's or a host's worst.
STATUSES = (*MACHINE_STATUSES, "attested")
STATUS_CODE = {name: i for i, name in enumerate(STATUSES)}
SEVERITIES = ("info", "low", "medium", "high", "critical")
SEVERITY_CODE = {name: i for i, name in enumerate(SEVERITIES)}
SET_KINDS = ("software", "interfaces", "ports", "antivirus", "device")


class EnvelopeBlob(Base):
    __tablename__ = "envelope_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data_z: Mapped[bytes] = mapped_column(LargeBinary)  # zlib


class CheckEntry(Base):
    __tablename__ = "checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_id: Mapped[str] = mapped_column(String(200), unique=True)
    title_vi: Mapped[str] = mapped_column(Text, default="")
    title_en: Mapped[str] = mapped_column(Text, default="")


class RequirementEntry(Base):
    __tablename__ = "requirements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    req_id: Mapped[str] = mapped_column(String(200), unique=True)
    clause: Mapped[str] = mapped_column(Text, default="")
    title_vi: Mapped[str] = mapped_column(Text, default="")
    title_en: Mapped[str] = mapped_column(Text, default="")


class Host(Base):
    __tablename__ = "hosts"
    __table_args__ = (Index("ix_hosts_unit_score", "unit_id", "score"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)  # agent:<pk>:<hostname> | dev:<unit>:mac:.. | ip:..
    kind: Mapped[str] = mapped_column(String(16))  # host | device
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    agent_pk: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    hostname: Mapped[str] = mapped_column(String(300), default="", index=True)
    os: Mapped[str] = mapped_column(String(300), default="")
    role: Mapped[str] = mapped_column(String(64), default="")
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    last_sequence: Mapped[int | None] = mapped_column(BigInteger)
    last_generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    playbook_id: Mapped[str] = mapped_column(String(128), default="")
    score: Mapped[int | None] = mapped_column(Integer)
    worst: Mapped[str] = mapped_column(String(16), default="")  # worst requirement status of the latest report
    counted_path: Mapped[str] = mapped_column(String(2000), default="")  # units.path its rollup rows went to


class ReportIndex(Base):
    __tablename__ = "report_index"
    __table_args__ = (Index("ix_report_index_host", "host_id", "report_id"),)

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id"))
    score: Mapped[int | None] = mapped_column(Integer)
    n_pass: Mapped[int] = mapped_column(Integer, default=0)
    n_warn: Mapped[int] = mapped_column(Integer, default=0)
    n_fail: Mapped[int] = mapped_column(Integer, default=0)
    n_unknown: Mapped[int] = mapped_column(Integer, default=0)
    n_not_applicable: Mapped[int] = mapped_column(Integer, default=0)
    n_error: Mapped[int] = mapped_column(Integer, default=0)
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # an older sequence: history only
    envelope_stored: Mapped[int] = mapped_column(Integer, default=0)  # bytes of its own recipe


class FindingRow(Base):
    __tablename__ = "findings"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    check_pk: Mapped[int] = mapped_column(ForeignKey("checks.id"), primary_key=True)
    status: Mapped[int] = mapped_column(SmallInteger)
    severity: Mapped[int] = mapped_column(SmallInteger)


class RequirementResult(Base):
    __tablename__ = "requirement_results"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    req_pk: Mapped[int] = mapped_column(ForeignKey("requirements.id"), primary_key=True)
    status: Mapped[int] = mapped_column(SmallInteger)


class Rollup(Base):
    __tablename__ = "rollups"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    req_pk: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: the hosts' overall (worst) status
    status: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    score_sum: Mapped[int] = mapped_column(BigInteger, default=0)  # req_pk 0 only: sum of scores


class InvSet(Base):
    __tablename__ = "inv_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)  # of kind + normalised rows
    size: Mapped[int] = mapped_column(Integer, default=0)  # rows


class SoftwareItem(Base):
    """Each distinct (name, version, publisher) once: a search by name scans these, not every host's list."""

    __tablename__ = "software_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the three, for the upsert
    name: Mapped[str] = mapped_column(String(300), index=True)  # lower case
    version: Mapped[str] = mapped_column(String(200), default="")
    publisher: Mapped[str] = mapped_column(String(300), default="")


class InvSoftware(Base):
    """Membership of a software item in a set."""

    __tablename__ = "inv_software"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("inv_sets.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("software_items.id"), index=True)


class InvAddress(Base):
    """Interfaces of audited hosts and addresses of LAN devices: one row per (MAC, IP) pair."""

    __tablename__ = "inv_addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("inv_sets.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")  # interface name
    mac: Mapped[str] = mapped_column(String(17), default="", index=True)  # aa:bb:cc:dd:ee:ff
    ip: Mapped[str] = mapped_column(String(64), default="", index=True)  # without prefix length


class InvPort(Base):
    __tablename__ = "inv_ports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("inv_sets.id"), index=True)
    port: Mapped[int] = mapped_column(Integer, index=True)
    proto: Mapped[str] = mapped_column(String(8), default="tcp")
    address: Mapped[str] = mapped_column(String(64), default="")
    process: Mapped[str] = mapped_column(String(300), default="")  # process, or the device's service


class InvAntivirus(Base):
    __tablename__ = "inv_antivirus"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("inv_sets.id"), index=True)
    product: Mapped[str] = mapped_column(String(300), index=True)
    running: Mapped[bool | None] = mapped_column(Boolean)
    realtime: Mapped[bool | None] = mapped_column(Boolean)
    signature_time: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InvDevice(Base):
    """What a LAN scan says of a device besides its address and ports: vendor and names."""

    __tablename__ = "inv_devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("inv_sets.id"), index=True)
    vendor: Mapped[str] = mapped_column(String(300), default="")
    names: Mapped[str] = mapped_column(Text, default="")  # space-separated, lower case


class HostSet(Base):
    __tablename__ = "host_sets"
    __table_args__ = (UniqueConstraint("host_id", "set_id"), Index("ix_host_sets_set", "set_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id"))
    set_id: Mapped[int] = mapped_column(ForeignKey("inv_sets.id"))
    kind: Mapped[str] = mapped_column(String(16))
    current: Mapped[bool] = mapped_column(Boolean, default=True)  # in the host's latest report
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    first_report_id: Mapped[int] = mapped_column(Integer)
    last_report_id: Mapped[int] = mapped_column(Integer)


class SequenceGap(Base):
    __tablename__ = "sequence_gaps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_pk: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    first: Mapped[int] = mapped_column(BigInteger)
    last: Mapped[int] = mapped_column(BigInteger)
    noted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UnitMonth(Base):
    """Per unit and month of receipt (UTC, 'YYYY-MM'): the figures of the indexed audit reports received by
    the unit's whole subtree (the report's unit at receipt and its ancestors, like the rollups), so the
    history of any unit is its own rows. `hosts` counts each host once a month, with its first report."""

    __tablename__ = "unit_months"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    hosts: Mapped[int] = mapped_column(Integer, default=0)
    score_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    scored: Mapped[int] = mapped_column(Integer, default=0)  # reports with a score
    fails: Mapped[int] = mapped_column(BigInteger, default=0)
    late_reports: Mapped[int] = mapped_column(Integer, default=0)
