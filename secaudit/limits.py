"""Size and time limits for what the agent reads but does not control (one place, every transport).

A file over its cap is never read: the fact is `unknown` ("larger than N MiB"). Caps are per kind of
input, generous for real systems and small enough that a hostile one cannot exhaust the agent.
"""

from __future__ import annotations

KiB = 1 << 10
MiB = 1 << 20

CONFIG_FILE = 4 * MiB  # /etc files, sshd_config, sudoers, PAM, agent config, known_hosts, CSVs
PLAYBOOK = 4 * MiB
PACKAGE_DB = 64 * MiB  # /var/lib/dpkg/status, rpm/snap/flatpak metadata
LOG_FILE = 64 * MiB  # wtmp, lastlog2 database (lastlog itself is sparse: read by offset, never whole)
RECORDING = 64 * MiB  # replay recordings, fact snapshots
ENVELOPE = 16 * MiB  # signed reports (DSSE envelopes) and report JSON: sign and verify share it
# What one report carries (secaudit/report/fit.py): lists beyond these keep their first entries and a
# sibling `<name>_truncated` count; if the signed report would still exceed ENVELOPE, they shrink.
EVIDENCE_ITEMS = 200  # entries of one list in a finding's evidence
INVENTORY_ROWS = 10_000  # rows of one inventory table (accounts, listening_ports, software...)
REPORT_TEXT = 4096  # characters of one string from the audited system
REPORT_DEPTH = 16  # nesting of evidence and inventory values; deeper parts become one JSON string
STATE_FILE = 16 * MiB  # our own state files (sequence, devices, backup verification state)
COMMAND_OUTPUT = 64 * MiB  # stdout + stderr of one command

REMOTE_BUDGET = 1024 * MiB  # every byte read from one remote host in one run (SFTP and commands)
READ_BUDGET = 4096 * MiB  # every byte read through one local/--root transport in one run

DIR_ENTRIES = 200_000  # names in one directory listed through a transport
YAML_NODES = 100_000  # untrusted YAML: nodes in one document
NESTING = 64  # untrusted YAML/JSON/TOML: deepest nesting accepted

RUN_DEADLINE = 30 * 60  # seconds: a whole command run (audit, facts, evaluate...), then exit 2


def mib(n: int) -> str:
    """A cap as people read it: '4 MiB', '512 KiB'."""
    return f"{n // MiB} MiB" if n >= MiB else f"{n // KiB} KiB"
