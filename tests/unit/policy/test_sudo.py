"""Root-equivalence of sudo rules, and its one home for the command lists."""

from __future__ import annotations

from typing import Any

from secaudit.checks import load_checks
from secaudit.facts.linux.sudo_rules import rules
from secaudit.facts.linux.sudoers import Sudoers, parse_text
from secaudit.policy.sudo import (
    PARAM_DEFAULTS,
    grants_root_shell,
    is_shell_command,
    root_reasons,
    root_reasons_with,
    runs_as_root,
)


def _rules(text: str) -> list[dict[str, Any]]:
    parsed = Sudoers()
    parse_text(text, "/etc/sudoers", parsed)
    return rules(parsed, "school-srv")


def test_shell_commands() -> None:
    assert is_shell_command("/bin/bash")
    assert is_shell_command("/usr/bin/su")
    assert is_shell_command("/usr/bin/su - root")
    assert not is_shell_command("/usr/bin/su - postgres")
    assert is_shell_command("/usr/bin/python3")
    assert not is_shell_command("/usr/bin/python3 /opt/backup.py")
    assert is_shell_command("/usr/bin/")
    assert is_shell_command("/usr/bin/vi*".replace("vi*", "*"))
    assert not is_shell_command("!/bin/sh")
    assert not is_shell_command("/usr/bin/systemctl restart nginx")


def test_runas_negation_and_shell_escapes_decide_admin() -> None:
    rows = _rules("a ALL = (ALL, !root) ALL\nb ALL = (root) /usr/bin/vim /etc/hosts\n"
                  "c ALL = (root) /usr/bin/systemctl restart nginx\nd ALL = (#0) /bin/sh\n")
    a, b, c, d = rows
    assert not runs_as_root(a) and runs_as_root(b) and runs_as_root(d)
    assert grants_root_shell(b)  # vim can open a shell whatever file it edits
    assert not grants_root_shell(c)
    assert grants_root_shell(d)


def test_checks_take_the_lists_from_the_policy_as_default_parameters() -> None:
    for cid in ("accounts.admin_members", "accounts.admin_count", "accounts.sudo_nopasswd"):
        params = load_checks()[cid].meta.params
        for name, default in PARAM_DEFAULTS.items():
            assert params[name] == list(default), (cid, name)


def test_parameters_override_the_lists() -> None:
    row = _rules("a ALL = (root) /usr/bin/less /var/log/syslog\n")[0]
    assert root_reasons(row) == root_reasons_with(row, {}) == ["/usr/bin/less /var/log/syslog: escape"]
    assert root_reasons_with(row, {"escape_commands": []}) == []
