"""Fixture files shared by the account tests: a small Debian-like system to vary."""

from __future__ import annotations

import time
from typing import Any

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.model import Snapshot
from secaudit.transport.replay import ReplayTransport
from tests.conftest import overlay

ACCOUNT_COLLECTORS = {"accounts", "sudoers", "pam", "password_policy"}
HASH = "$6$rounds=5000$saltsalt$" + "x" * 86  # shape of a SHA-512 crypt hash, not a real one


def today() -> int:
    return int(time.time()) // 86400


def days_ago(n: int) -> int:
    """Unix time n days ago."""
    return int(time.time()) - n * 86400


PASSWD = """\
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash
bob:x:1001:1001::/home/bob:/bin/bash
"""

GROUP = """\
root:x:0:
daemon:x:1:
sudo:x:27:alice
nogroup:x:65534:
alice:x:1000:
bob:x:1001:
"""

COMMON_AUTH = """\
# here are the per-package modules (the "Primary" block)
auth\t[success=1 default=ignore]\tpam_unix.so nullok
# here's the fallback if no module succeeds
auth\trequisite\t\t\tpam_deny.so
auth\trequired\t\t\tpam_permit.so
"""

COMMON_PASSWORD = """\
password\trequisite\t\t\tpam_pwquality.so retry=3
password\t[success=1 default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt
password\trequisite\t\t\tpam_deny.so
password\trequired\t\t\tpam_permit.so
"""


def shadow(extra: dict[str, str] | None = None, changed: int = 10, max_days: str = "99999") -> str:
    """root locked ('*'), alice and bob with a password set `changed` days ago; `extra` overrides lines."""
    day = today() - changed
    lines = {
        "root": f"root:*:{day}:0:99999:7:::",
        "daemon": f"daemon:*:{day}:0:99999:7:::",
        "sync": f"sync:*:{day}:0:99999:7:::",
        "nobody": f"nobody:*:{day}:0:99999:7:::",
        "alice": f"alice:{HASH}:{day}:0:{max_days}:7:::",
        "bob": f"bob:{HASH}:{day}:0:{max_days}:7:::",
    }
    lines.update(extra or {})
    return "\n".join(lines.values()) + "\n"


def system(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Files of a Debian-like root; `overrides` maps "etc/x" to new content (None removes it)."""
    files: dict[str, Any] = {
        "etc/passwd": PASSWD,
        "etc/group": GROUP,
        "etc/shadow": (shadow(), 0o640),
        "etc/hostname": "school-srv\n",
        "etc/login.defs": "# defaults\nPASS_MAX_DAYS\t99999\nPASS_MIN_DAYS\t0\nPASS_WARN_AGE\t7\nUID_MIN 1000\n",
        "etc/sudoers": ("Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n"
                        "@includedir /etc/sudoers.d\n", 0o440),
        "etc/pam.d/common-auth": COMMON_AUTH,
        "etc/pam.d/common-password": COMMON_PASSWORD,
        "etc/pam.d/login": "auth optional pam_faildelay.so delay=3000000\n@include common-auth\n"
                           "@include common-password\n",
        "etc/pam.d/passwd": "@include common-password\n",
        "etc/pam.d/sshd": "@include common-auth\n@include common-password\n",
        "etc/security/pwquality.conf": "# minlen = 8\n",
        "var/log/wtmp": b"",
    }
    return overlay(files, overrides)


def replay(files: dict[str, Any], denied: list[str] | tuple[str, ...] = (),
           config: AgentConfig | None = None) -> Snapshot:
    """Collect the account tables from an in-memory recording (`denied` paths raise permission denied)."""
    texts = {"/" + k: (v[0] if isinstance(v, tuple) else v) for k, v in files.items()}
    texts = {k: v for k, v in texts.items() if isinstance(v, str)}
    rec = {"schema": "secaudit.recording/v1", "files": texts, "denied": list(denied)}
    return collect(ReplayTransport(rec, live=False), config or AgentConfig(), only=ACCOUNT_COLLECTORS)
