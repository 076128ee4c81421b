"""What every part of the SSH transport shares: options, the outcome of a connection attempt, SshError."""

from __future__ import annotations

import os
from dataclasses import dataclass

from secaudit.errors import SecauditError

REMOTE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SYSTEM_KNOWN_HOSTS = "/etc/ssh/ssh_known_hosts"

# Outcomes of a connection attempt (HostResult.status in secaudit.agent.remote).
UNREACHABLE, AUTH_FAILED, HOST_KEY_REFUSED, SUDO_FAILED, SSH_ERROR = (
    "unreachable", "auth_failed", "host_key_refused", "sudo_failed", "error")


class SshError(SecauditError):
    """A host that could not be audited: `status` is one of the outcomes above."""

    def __init__(self, status: str, vi: str, en: str) -> None:
        super().__init__(vi, en)
        self.status = status


@dataclass(frozen=True)
class SshOptions:
    known_hosts: str | None = None  # the user's known_hosts file; default ~/.ssh/known_hosts
    system_known_hosts: str | None = SYSTEM_KNOWN_HOSTS  # read only
    accept_new: bool = False  # accept and record an unknown host key (never a changed one)
    identity: str | None = None  # private key file; else ssh-agent and ~/.ssh/id_*
    sudo: bool = False
    connect_timeout: float = 10.0  # TCP connect, SSH banner, key exchange, authentication (each)
    op_timeout: float = 30.0  # one SFTP request, opening a channel


def user_known_hosts(opts: SshOptions) -> str:
    return opts.known_hosts or os.path.expanduser("~/.ssh/known_hosts")
