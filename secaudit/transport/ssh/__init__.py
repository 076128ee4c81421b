"""A remote Linux host over SSH (paramiko): files through SFTP, commands through exec.

- options.py: SshOptions, SshError and the outcomes of a connection attempt;
- connect.py: reaching the host, verifying its key (transport/known_hosts.py), authenticating;
- transport.py: SshTransport, the Transport protocol over one connection (SFTP pool, exec channels, sudo);
- sftp.py: reading a file and listing a directory over SFTP.
"""

from __future__ import annotations

from secaudit.transport.known_hosts import fingerprint
from secaudit.transport.ssh.connect import connect
from secaudit.transport.ssh.options import (
    AUTH_FAILED,
    HOST_KEY_REFUSED,
    REMOTE_PATH,
    SSH_ERROR,
    SUDO_FAILED,
    SYSTEM_KNOWN_HOSTS,
    UNREACHABLE,
    SshError,
    SshOptions,
    user_known_hosts,
)
from secaudit.transport.ssh.transport import SshTransport

__all__ = [
    "AUTH_FAILED",
    "HOST_KEY_REFUSED",
    "REMOTE_PATH",
    "SSH_ERROR",
    "SUDO_FAILED",
    "SYSTEM_KNOWN_HOSTS",
    "UNREACHABLE",
    "SshError",
    "SshOptions",
    "SshTransport",
    "connect",
    "fingerprint",
    "user_known_hosts",
]
