"""The snapshot: named tables of facts, the same on every OS (like osquery's tables).

Rows are plain JSON-serialisable dicts. What each table holds is declared in its spec
(facts/tables/<table>.yaml), the single source; the TypedDicts below only type the rows that
collectors build. A table or field that could not be read is listed in ``unknown`` with a reason code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Required, TypedDict

from secaudit.errors import SecauditError
from secaudit.facts.schema import Unknown, problem
from secaudit.facts.tables import single_tables
from secaudit.shapes import Day, OctalMode, Time

SCHEMA = "secaudit.facts/v1"
Mode = Literal["local", "root", "ssh", "replay"]



class UserRow(TypedDict, total=False):
    name: Required[str]
    id: str
    uid: int
    gid: int
    home: str
    shell: str
    password_in_passwd: bool  # a crypt hash in /etc/passwd instead of x
    enabled: bool
    interactive: bool
    system: bool
    password_state: str  # set | empty | locked | none | unknown
    password_last_change: Time | None
    password_change_required: bool  # shadow "last change" is 0: must change at next login
    password_max_days: int | None
    password_min_days: int | None
    password_inactive_days: int | None
    account_expires: Time | None
    disabled_by: list[str]  # password_locked | account_expired | password_inactive | no_login_shell
    last_login: Time | None
    last_login_source: str | None
    last_login_from: str | None  # remote host of that login, if recorded
    admin: bool
    admin_via: list[str]  # "uid:0", "group:sudo", "/etc/sudoers.d/x:3"
    groups: list[str]
    source: str
    # Windows (Get-LocalUser)
    sid: str
    rid: int
    builtin: bool
    password_required: bool | None
    password_expires: Time | None
    description: str | None


class GroupRow(TypedDict, total=False):
    name: Required[str]
    id: str
    gid: int
    members: list[str]  # explicit members and users whose primary group it is
    admin: bool
    admin_via: list[str]  # "name:sudo" for well-known admin groups, sudoers "file:line"
    source: str
    # Linux
    password_state: str  # set | empty | locked | none: what newgrp asks a non-member for
    password_source: str  # gshadow (or group) file:line
    group_admins: list[str]  # gshadow administrators: may add members with gpasswd
    # Windows
    sid: str
    unresolved_members: list[str]  # orphaned SIDs: members that resolve to no account



class PasswordPolicy(TypedDict, total=False):
    min_length: int | None  # shortest password the enforcing module accepts (credits counted)
    min_length_configured: int | None  # the minlen value as written
    min_classes: int | None
    quality_module: str | None  # pam_pwquality | pam_cracklib | pam_passwdqc | None
    quality_enforcing: bool | None
    max_age_days: int | None  # login.defs PASS_MAX_DAYS (defaults for new accounts)
    min_age_days: int | None
    warn_age_days: int | None
    uid_min: int
    uid_max: int
    history: int | None
    lockout_module: str | None  # pam_faillock | pam_tally2 | pam_tally | None
    lockout_threshold: int | None  # 0: never locks
    lockout_minutes: int | None  # None with lockout_permanent: only an admin unlocks
    lockout_permanent: bool
    lockout_window_minutes: int | None
    sources: dict[str, str]  # field -> "file:line" (or "module default")
    source: list[str]
    quality_reason: str | None
    quality_service: str | None
    lockout_reason: str | None
    lockout_service: str | None
    lockout_incomplete: bool
    # Windows (secedit [System Access])
    complexity: bool | None
    clear_text_passwords: bool | None
    guest_account_enabled: bool | None
    admin_account_enabled: bool | None
    admin_account_name: str | None
    guest_account_name: str | None



class FileModeRow(TypedDict, total=False):
    path: Required[str]
    mode: Required[OctalMode]  # octal string, e.g. "0640"
    owner: Required[str]
    group: Required[str]
    uid: int
    gid: int
    kind: str  # file | dir | other


class PortRow(TypedDict, total=False):
    proto: str  # tcp | udp
    address: str
    port: int
    pid: int | None  # lowest pid holding the socket (forked workers share one)
    process: str | None
    user: str | None
    family: str  # ipv4 | ipv6
    source: str  # psutil | /proc/net/tcp:LINE | ss -H -tulpne


class FirewallTable(TypedDict, total=False):
    backend: str  # nftables | iptables | ufw | firewalld | none
    active: bool | None
    default_inbound: str | None  # accept | drop | reject (IPv4, or both families)
    default_inbound_ipv6: str | None  # when known separately
    default_inbound_source: str | None  # file:line of the rule or policy that decides default_inbound
    default_inbound_ipv6_source: str | None
    ipv6_disabled: str | None  # where IPv6 is turned off on every interface (None: it is not)
    profiles: list[dict[str, Any]]  # Windows profiles; empty on Linux
    rules_count: int | None  # rules in the input base chains
    configured: list[str]  # frontends/backends with configuration present
    source: str


class SystemTable(TypedDict, total=False):
    boot_time: Time | None
    time_synced: bool | None
    time_sync_source: str | None
    time_sync_service: str | None  # timesyncd | chrony | ntpd | openntpd | none
    time_sync_service_source: str | None
    time_sync_running: bool | None  # the service's process is running (None in --root mode)
    auto_updates: bool | None
    auto_updates_source: str | None
    auto_updates_reason: str | None  # enabled | not_set | setting_off | periodic_disabled | package_missing | ...
    last_update_time: Time | None
    last_update_source: str | None
    pending_security_updates: int | None
    pending_updates_source: str | None
    reboot_required: bool | None
    reboot_required_pkgs: list[str]
    os_id: str
    os_version: str
    os_support_end: Day | None  # YYYY-MM-DD
    os_support_note: str | None
    os_eol_table: str | None  # when the shipped table was compiled
    os_rolling: bool
    disk_encryption: list[dict[str, Any]]  # {name, device, kind, source}


class AntivirusRow(TypedDict, total=False):
    id: str  # catalogue id (secaudit/data/antivirus.yaml), e.g. "clamav", "kesl"
    product: Required[str]
    vendor: str
    installed: bool
    running: bool | None  # None: not observable (--root mode, hidden /proc)
    running_processes: list[str]  # "comm (pid N)" of the product's processes seen
    realtime: bool | None
    realtime_source: str | None
    signature_time: Time | None
    signature_source: str | None  # file the time came from, and how (header | mtime)
    signature_version: int | None
    signatures_found: bool | None  # False: none where the product keeps them; None: cannot tell
    updater_running: bool | None
    updater_scheduled: bool | None  # timer or cron job that updates signatures
    updater_enabled: bool | None  # updater service enabled at boot
    updater_source: str | None
    last_scan_time: Time | None
    last_scan_source: str | None
    managed: bool | None
    managed_source: str | None
    enabled_units: list[str]  # systemd units enabled at boot (from *.wants symlinks)
    markers: list[str]  # files and packages that showed the product is installed
    source: str
    # Windows
    running_mode: str | None  # Defender AMRunningMode
    tamper_protected: bool | None
    signatures_out_of_date: bool | None
    product_state: int | None  # SecurityCenter2 productState


class SshMatchBlock(TypedDict, total=False):
    criteria: str  # "User alice", "Address 10.0.0.0/8" (outer criteria joined for nested includes)
    source: str  # file:line of the Match line
    settings: dict[str, Any]  # field name -> value set inside the block (first wins)
    sources: dict[str, str]  # field name -> file:line


class SshFacts(TypedDict, total=False):
    present: bool
    config_path: str | None
    binary: str | None
    permit_root_login: str | None  # yes | prohibit-password | without-password | forced-commands-only | no
    password_authentication: str | None  # yes | no
    permit_empty_passwords: str | None
    kbd_interactive_authentication: str | None  # alias ChallengeResponseAuthentication
    use_pam: str | None
    authentication_methods: list[str] | None  # ["any"] by default
    max_auth_tries: int | None
    client_alive_interval: int | str | None  # seconds (the text when sshd would reject it)
    client_alive_count_max: int | str | None
    login_grace_time: int | str | None  # seconds; 0: no limit
    channel_timeout: list[str] | None  # ChannelTimeout type=interval pairs; ["none"] by default
    ciphers: str | None  # as written ("+aes128-cbc", "aes256-ctr,..."); None: OpenSSH's default list
    macs: str | None
    kex_algorithms: str | None
    port: int | None  # first port
    ports: list[int]
    listen_addresses: list[str]
    allow_users: list[str]
    allow_groups: list[str]
    source: dict[str, str]  # field name -> "file:line" or "default"
    match_blocks: list[SshMatchBlock]
    files: list[str]  # config files read, in order
    errors: list[str]  # "file:line: problem" lines sshd would reject











class BackupCopyRow(TypedDict, total=False):
    path: Required[str]  # file or directory; "REPO::snapshot" for restic, "REPO::archive" for borg
    time: Required[Time]  # modification time (files) or snapshot/archive time
    size_bytes: int | None
    mode: OctalMode | None  # octal, e.g. "0640" (files only)
    owner: str | None
    group: str | None
    is_dir: bool
    id: str | None  # restic snapshot id / borg archive name
    encrypted: bool | None  # from the file's first bytes (gpg, age, openssl, zip) or the repository
    complete: bool  # a directory copy: every entry inside was looked at (else size_bytes is None)


class BackupOffsiteRow(TypedDict, total=False):
    location: str  # password in a URL is redacted
    kind: str  # local | sftp
    checked_at: Time | None  # None: never checked (sftp is checked by `secaudit backup verify`)
    reachable: bool | None
    newest_time: Time | None
    newest_path: str | None
    count: int
    same_device: bool | None  # on the filesystem of the primary copies or of the live data
    missing: list[str]  # the newest primary copy, when it is not off-site
    max_age_seconds: int
    error: dict[str, str] | None  # {code, detail}
    complete: bool  # every entry of the location was looked at (newest_time is exact)


class BackupDrillRow(TypedDict, total=False):
    at: str
    copy: str
    method: str  # restic restore | borg extract | tar.gz extract | zip extract | ...
    files_restored: int
    files_compared: int
    skipped_changed: int  # live files modified after the backup: not compared
    mismatches: list[dict[str, str]]  # {file, member, problem, detail}
    error: dict[str, str] | None


class BackupVerificationRow(TypedDict, total=False):
    verified_at: Time | None  # last `secaudit backup verify` of this set
    bytes_verified: int  # in that run
    bytes_total: int | None
    bytes_covered: int | None  # bytes whose last verification still applies
    files_total: int | None  # files sets: files listed in the last run
    files_covered: int | None  # files whose last verification still applies
    listing_complete: bool  # the last run listed every file of the set (no cap, no unreadable directory)
    fully_verified_at: Time | None  # every byte verified at or after this time
    method: str
    errors: list[dict[str, str]]  # {file, problem, detail}, at most 50
    errors_count: int
    config_error: dict[str, str] | None
    formats: list[str]  # formats seen when decoding (tar.gz, sql.gz (mysqldump), pg_dump custom ...)
    notes: list[str]
    drill: BackupDrillRow | None
    state_file: str


class BackupRow(TypedDict, total=False):
    set: Required[str]
    kind: str  # files | restic | borg
    path: Required[str]
    data_source: str | None  # the live data the set protects (config `source`)
    personal_data: bool
    max_age_seconds: int
    min_count: int
    copies: list[BackupCopyRow]  # newest first, at most 50
    count: int  # all copies
    newest_time: Time | None
    oldest_time: Time | None
    span_days: int | None
    directory: dict[str, Any] | None  # {path, mode, owner, group} of the folder or repository
    encryption: str | None  # borg mode ("none", "repokey" ...); "repository" for restic
    same_device_as_source: bool | None
    offsite: BackupOffsiteRow | None
    verification: BackupVerificationRow
    error: dict[str, str] | None  # {code, detail}: config | not_found | permission_denied | ...
    source: str  # how the copies were listed (stat GLOB, restic snapshots --json ...)
    listing: dict[str, Any] | None  # files sets: {complete, entries, limit, special, unlisted} of this listing
    other_copies: list[dict[str, Any]]  # copies beyond `copies`, grouped: {mode, owner, group, count, example}
    password_file: dict[str, Any] | None  # restic/borg: {path, mode, owner, group} or {path, error}





class AgentSocketRow(TypedDict, total=False):
    proto: str | None
    address: str | None
    port: int | None
    process: str | None
    pid: int | None


class AgentReportRow(TypedDict, total=False):
    """What an agent report (secaudit/network/agents.py) says about its host's listening ports."""

    file: str
    hostname: str
    generated_at: str
    mode: str
    signed: bool
    ips: list[str]
    macs: list[str]
    listening_ports_known: bool
    listening_ports: list[AgentSocketRow]


def _empty_unknown() -> dict[str, Unknown]:
    return {}


@dataclass
class Snapshot:
    collected_at: str
    mode: str
    tables: dict[str, Any] = field(default_factory=dict)
    unknown: dict[str, Unknown] = field(default_factory=_empty_unknown)
    schema: str = SCHEMA
    tool_version: str = ""
    duration_ms: int = 0
    family: str | None = None  # OS family the transport reached (linux | windows); None in older snapshots

    def os_family(self) -> str | None:
        """The OS family the snapshot describes: recorded at collection, else its host table's (older snapshots);
        None when neither says (a hand-written snapshot)."""
        if self.family:
            return self.family
        host = self.tables.get("host")
        os_info = host.get("os") if isinstance(host, dict) else None
        family = os_info.get("family") if isinstance(os_info, dict) else None
        return family if isinstance(family, str) and family else None

    def table(self, name: str) -> Any:
        default: Any = {} if name in single_tables() else []  # kind: object in the table's spec
        return self.tables.get(name, default)

    def why_unknown(self, key: str) -> Unknown | None:
        """Reason for `table` or `table.field` being unknown; a table reason covers its fields."""
        if key in self.unknown:
            return self.unknown[key]
        table = key.split(".", 1)[0]
        return self.unknown.get(table)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "collected_at": self.collected_at,
            "mode": self.mode,
            **({"family": self.family} if self.family else {}),
            "tool_version": self.tool_version,
            "duration_ms": self.duration_ms,
            **{name: self.tables[name] for name in sorted(self.tables)},
            "unknown": dict(sorted(self.unknown.items())),
        }

    @classmethod
    def from_dict(cls, data: Any, origin: str = "snapshot") -> Snapshot:
        """A snapshot from parsed JSON, its shape checked (facts/schema.py) before any check sees it."""
        from secaudit import inputs

        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise SecauditError(
                f"{origin} không phải ảnh chụp dữ kiện {SCHEMA}.",
                f"{origin} is not a {SCHEMA} facts snapshot.",
            )
        found = problem(data)
        if found is not None:
            raise inputs.field_error(SecauditError, "snapshot", origin, found.field, found.vi, found.en)
        meta = {"schema", "collected_at", "mode", "family", "tool_version", "duration_ms", "unknown"}
        return cls(
            collected_at=str(data.get("collected_at", "")),
            mode=str(data.get("mode", "replay")),
            tables={k: v for k, v in data.items() if k not in meta},
            unknown=data.get("unknown") or {},
            tool_version=str(data.get("tool_version", "")),
            duration_ms=data.get("duration_ms", 0) or 0,
            family=data.get("family"),
        )

    @classmethod
    def load(cls, path: str | Path) -> Snapshot:
        from secaudit import inputs, limits

        try:
            data = inputs.load_json(path, limits.RECORDING, "snapshot")
        except FileNotFoundError:
            raise inputs.missing(SecauditError, "snapshot", path) from None
        return cls.from_dict(data, str(path))
