"""Connecting: resolve and reach the host within the timeouts, verify its key, authenticate.

Host keys are verified against known_hosts (the user's file or --known-hosts, plus
/etc/ssh/ssh_known_hosts) as OpenSSH matches them (wildcards, negation, [host]:port, hashed names:
secaudit.transport.known_hosts). An unknown key is refused unless `accept_new` (then it is recorded,
like OpenSSH's StrictHostKeyChecking=accept-new); a changed key (any entry matching the host, with
another key of any type) and a key marked @revoked are always refused. Authentication is by key file or
ssh-agent; passwords are never used. With `sudo`, sudo must work without a password (NOPASSWD): it is
checked once here, before any fact is collected.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import socket
import threading
import time
from typing import Any

from secaudit.transport.known_hosts import HostKeyError, HostKeyPolicy, fingerprint
from secaudit.transport.known_hosts import load as load_known_hosts
from secaudit.transport.ssh.options import (
    AUTH_FAILED,
    SSH_ERROR,
    SYSTEM_KNOWN_HOSTS,
    UNREACHABLE,
    SshError,
    SshOptions,
    user_known_hosts,
)
from secaudit.transport.ssh.transport import SshTransport


def _resolve(host: str, port: int, timeout: float) -> list[tuple[Any, ...]]:
    """getaddrinfo with a deadline (the resolver itself has none we control)."""
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(host)
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    box: list[Any] = []

    def work() -> None:
        try:
            box.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            box.append(exc)

    thread = threading.Thread(target=work, daemon=True, name=f"resolve-{host}")
    thread.start()
    thread.join(timeout)
    if not box:
        raise TimeoutError(f"resolving {host}")
    if isinstance(box[0], OSError):
        raise box[0]
    return list(box[0])


def _tcp_connect(host: str, port: int, timeout: float, target: str) -> socket.socket:
    try:
        infos = _resolve(host, port, timeout)
    except TimeoutError:
        raise SshError(UNREACHABLE, f"Không phân giải được tên máy {host} trong {timeout:g} giây.",
                       f"Cannot resolve the host name {host} within {timeout:g} s.") from None
    except OSError:
        raise SshError(UNREACHABLE, f"Không phân giải được tên máy {host}.",
                       f"Cannot resolve the host name {host}.") from None
    last: OSError | None = None
    deadline = time.monotonic() + timeout
    for family, kind, proto, _, addr in infos:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock = socket.socket(family, kind, proto)
        sock.settimeout(remaining)
        try:
            sock.connect(addr)
            sock.settimeout(None)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    if isinstance(last, ConnectionRefusedError):
        raise SshError(UNREACHABLE, f"Không kết nối được tới {target}: cổng đóng (kết nối bị từ chối).",
                       f"Cannot connect to {target}: the port is closed (connection refused).")
    if last is None or isinstance(last, TimeoutError):
        raise SshError(UNREACHABLE, f"Không kết nối được tới {target}: không có phản hồi sau {timeout:g} giây.",
                       f"Cannot connect to {target}: no answer within {timeout:g} s.")
    why = last.strerror or str(last)
    raise SshError(UNREACHABLE, f"Không kết nối được tới {target}: {why}.", f"Cannot connect to {target}: {why}.")


def _auth_error(target: str, exc: Exception, key_file: str | None) -> SshError:
    import paramiko

    if isinstance(exc, paramiko.PasswordRequiredException):
        return SshError(AUTH_FAILED,
                        f"Tệp khóa {key_file} có mật khẩu bảo vệ: hãy nạp khóa vào ssh-agent (ssh-add) rồi chạy lại.",
                        f"The key file {key_file} is protected by a passphrase: load it into ssh-agent (ssh-add) "
                        f"and run again.")
    if isinstance(exc, paramiko.BadAuthenticationType):
        allowed = ", ".join(getattr(exc, "allowed_types", []) or []) or "?"
        return SshError(AUTH_FAILED,
                        f"{target} không cho đăng nhập bằng khóa (chỉ cho: {allowed}); secaudit không dùng mật khẩu.",
                        f"{target} does not accept key authentication (only: {allowed}); secaudit never uses "
                        f"passwords.")
    return SshError(AUTH_FAILED,
                    f"Xác thực với {target} thất bại: máy chủ không chấp nhận khóa nào (dùng --identity hoặc "
                    f"ssh-agent; mật khẩu không được hỗ trợ).",
                    f"Authentication to {target} failed: the server accepted none of the keys (use --identity or "
                    f"ssh-agent; passwords are not supported).")


def connect(host: str, port: int, user: str, opts: SshOptions, key_file: str | None = None,
            sudo: bool | None = None) -> SshTransport:
    """Open an authenticated, host-key-verified connection, or raise SshError."""
    import paramiko

    # paramiko logs handshake failures with tracebacks; the caller reports them in one sentence
    logger = logging.getLogger("paramiko")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())

    shown = f"[{host}]" if ":" in host else host
    target = f"{user}@{shown}" + (f":{port}" if port != 22 else "")
    key_file = key_file or opts.identity
    if key_file and not os.path.isfile(key_file):
        raise SshError(AUTH_FAILED, f"Không tìm thấy tệp khóa {key_file}.", f"The key file {key_file} does not exist.")
    known = user_known_hosts(opts)
    # OpenSSH's default files include the "2" ones: a key pinned there must not look new
    files = [opts.system_known_hosts, known]
    if opts.system_known_hosts == SYSTEM_KNOWN_HOSTS:
        files.insert(1, SYSTEM_KNOWN_HOSTS + "2")
    if opts.known_hosts is None:
        files.append(known + "2")
    try:  # read only: only an accepted new key is ever appended (to `known`)
        entries = load_known_hosts(files)
    except HostKeyError as exc:
        raise SshError(exc.status, exc.vi, exc.en) from None
    policy = HostKeyPolicy(entries, host, port, target, opts.accept_new, known)
    client = paramiko.SSHClient()  # given no host keys: every key goes through `policy`
    client.set_missing_host_key_policy(policy)
    sock = _tcp_connect(host, port, opts.connect_timeout, target)
    t = opts.connect_timeout
    try:
        # `timeout` bounds the whole key exchange (the socket is already connected); it must be
        # longer than the banner wait, or paramiko gives up silently before saying why.
        client.connect(host, port=port, username=user, sock=sock, key_filename=key_file,
                       allow_agent=True, look_for_keys=key_file is None, timeout=2 * t, banner_timeout=t,
                       auth_timeout=t, channel_timeout=opts.op_timeout,
                       transport_factory=policy.transport_factory)
    except HostKeyError as exc:
        client.close()
        raise SshError(exc.status, exc.vi, exc.en) from None
    except (paramiko.AuthenticationException, paramiko.PasswordRequiredException) as exc:
        client.close()
        raise _auth_error(target, exc, key_file) from None
    except paramiko.SSHException as exc:
        client.close()
        text = str(exc)
        if "no authentication methods" in text.lower():
            raise SshError(AUTH_FAILED,
                           f"Không có khóa nào để đăng nhập {target}: hãy dùng --identity hoặc nạp khóa vào ssh-agent "
                           f"(mật khẩu không được hỗ trợ).",
                           f"No key to log in to {target}: give --identity or load a key into ssh-agent "
                           f"(passwords are not supported).") from None
        closed = isinstance(exc.__context__, EOFError | ConnectionError)  # not a timeout
        if "banner" in text.lower() and closed:
            raise SshError(UNREACHABLE,
                           f"{target} đóng kết nối mà không gửi banner SSH (đây có phải máy chủ SSH không?).",
                           f"{target} closed the connection without sending an SSH banner (is it an SSH server?).",
                           ) from None
        if "banner" in text.lower():
            raise SshError(UNREACHABLE,
                           f"{target} nhận kết nối nhưng không trả lời như một máy chủ SSH trong {t:g} giây.",
                           f"{target} accepted the connection but sent no SSH banner within {t:g} s.") from None
        if any(s in text.lower() for s in ("timeout", "timed out", "no existing session")):
            raise SshError(UNREACHABLE, f"{target} không hoàn tất bắt tay SSH trong {2 * t:g} giây.",
                           f"{target} did not complete the SSH handshake within {2 * t:g} s.") from None
        raise SshError(SSH_ERROR, f"Lỗi SSH với {target}: {text}.", f"SSH error with {target}: {text}.") from None
    except (EOFError, OSError) as exc:
        client.close()
        why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise SshError(UNREACHABLE, f"{target} đóng kết nối trong lúc bắt tay SSH ({why}).",
                       f"{target} closed the connection during the SSH handshake ({why}).") from None
    server_key = client.get_transport().get_remote_server_key()
    transport = SshTransport(client, sudo=opts.sudo if sudo is None else sudo, op_timeout=opts.op_timeout,
                             target=target)
    transport.host_key = f"{server_key.get_name()} {fingerprint(server_key)}"
    transport.recorded_key_in = policy.recorded
    if transport.sudo:
        try:
            transport.check_sudo()
        except SshError:
            transport.close()
            raise
    return transport
