"""SshTransport: the Transport protocol over one SSH connection; files through SFTP, commands through exec.

With `sudo`, commands run as `sudo -n -- ...` and a read refused to the login user is retried with
`sudo -n cat`; sudo must not ask for a password (NOPASSWD), since a sudo password is not supported.

Collectors call the transport from several threads at once: SFTP sessions come from a small
pool (one SFTP session is not thread-safe) and exec channels are limited, so that the server's
MaxSessions (10 by default) is never reached.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import queue
import select
import shlex
import stat as stat_mod
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from secaudit import limits
from secaudit.transport.base import (
    CommandFailed,
    CommandResult,
    FactUnavailable,
    NotFound,
    NotRegular,
    PermissionDenied,
    ReadBudget,
    StatResult,
    TimedOut,
    TooLarge,
)
from secaudit.transport.family import probe
from secaudit.transport.ssh.options import REMOTE_PATH, SUDO_FAILED, SshError
from secaudit.transport.ssh.sftp import CHUNK, sftp_listdir, sftp_read

T = TypeVar("T")

SFTP_SESSIONS = 4
EXEC_CHANNELS = 4
BATCH = 256  # files per read_many command


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:200]


_NOT_REGULAR = "secaudit: not a regular file"
# `cat` for one file, refusing what is not a regular file (a FIFO would block, a device never ends)
# and reading at most $2 bytes; a missing or unreadable file fails in `head` with the usual message.
_READ_ONE = (f'if [ -e "$1" ] && [ ! -f "$1" ]; then echo "{_NOT_REGULAR}" >&2; exit 3; fi; '
             'exec head -c "$2" -- "$1"')


def _file_error(path: str, stderr: str) -> FactUnavailable:
    """Map a failed cat/stat/find run (C locale) to a transport error."""
    err = stderr.lower()
    if err.startswith("sudo:"):
        return PermissionDenied(f"{path} (sudo -n: {_first_line(stderr)})")
    if "permission denied" in err or "operation not permitted" in err:
        return PermissionDenied(path)
    if _NOT_REGULAR in err:
        return NotRegular(path)
    if "no such file" in err or "not a directory" in err or "is a directory" in err:
        return NotFound(path)
    return FactUnavailable(f"{path}: {_first_line(stderr) or 'failed'}")


class SshTransport:
    """The Transport protocol over one SSH connection (see the module docstring)."""

    mode = "ssh"
    live = True

    def __init__(self, client: Any, sudo: bool = False, op_timeout: float = 30.0, target: str = "",
                 sftp_sessions: int = SFTP_SESSIONS, exec_channels: int = EXEC_CHANNELS) -> None:
        self.client = client
        self.sudo = sudo
        self.op_timeout = op_timeout
        self.target = target
        self.host_key = ""
        self.recorded_key_in: str | None = None
        self.sftp_usable = True  # False when the server has no SFTP subsystem: reads use cat
        self._pool: queue.LifoQueue[Any] = queue.LifoQueue()
        self._sftp_max = sftp_sessions
        self._sftp_open = 0
        self._lock = threading.Lock()
        self._exec_slots = threading.BoundedSemaphore(exec_channels)
        self._closed = False
        self.budget = ReadBudget(limits.REMOTE_BUDGET)  # every byte read from this host in this run
        self._family: str | None = None

    @property
    def family(self) -> str:
        """The remote system's OS family, probed once (uname -s, or a Windows system folder)."""
        if self._family is None:
            self._family = probe(self)
        return self._family

    # -- lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        self._closed = True
        while True:
            try:
                sftp = self._pool.get_nowait()
            except queue.Empty:
                break
            with contextlib.suppress(Exception):
                sftp.close()
        with contextlib.suppress(Exception):
            self.client.close()

    def __enter__(self) -> SshTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_sudo(self) -> None:
        """sudo must work without a password (sudo -n); say why when it does not."""
        try:
            rc, _, err = self._exec(shlex.join(["sudo", "-n", "true"]), 10.0)
        except FactUnavailable as exc:
            rc, err = -1, exc.detail.encode()
        if rc != 0:
            why = _first_line(err.decode("utf-8", "replace")) or f"exit {rc}"
            raise SshError(SUDO_FAILED,
                           f"sudo trên {self.target} không chạy được mà không cần mật khẩu ({why}): hãy cho tài khoản "
                           f"kiểm tra quyền NOPASSWD, hoặc chạy lại không có --sudo (mật khẩu sudo không được hỗ trợ).",
                           f"sudo on {self.target} does not work without a password ({why}): give the audit account "
                           f"NOPASSWD rights, or run again without --sudo (a sudo password is not supported).")

    # -- exec -----------------------------------------------------------------------------------
    def _open_channel(self) -> Any:
        import paramiko

        transport = self.client.get_transport()
        if transport is None or not transport.is_active():
            raise FactUnavailable(f"{self.target}: the SSH connection is closed")
        for attempt in range(3):
            try:
                return transport.open_session(timeout=self.op_timeout)
            except paramiko.ChannelException:
                # MaxSessions reached: give back an idle SFTP session and try again
                if not self._shrink_pool() and attempt == 2:
                    raise
                time.sleep(0.05 * (attempt + 1))
            except paramiko.SSHException as exc:
                raise FactUnavailable(f"{self.target}: {exc}") from None
        raise FactUnavailable(f"{self.target}: no channel could be opened")

    def _exec(self, command: str, timeout: float) -> tuple[int, bytes, bytes]:
        import paramiko

        with self._exec_slots:
            try:
                chan = self._open_channel()
            except paramiko.ChannelException as exc:
                raise CommandFailed(f"{self.target}: cannot open a channel ({exc})") from None
            try:
                chan.exec_command(command)
                chan.shutdown_write()  # no standard input
                return self._drain(chan, command, timeout)
            except (paramiko.SSHException, EOFError, OSError) as exc:
                if isinstance(exc, TimeoutError):
                    raise TimedOut(command) from None
                raise FactUnavailable(f"{self.target}: {type(exc).__name__}: {exc}") from None
            finally:
                chan.close()

    def _drain(self, chan: Any, command: str, timeout: float) -> tuple[int, bytes, bytes]:
        out, err = bytearray(), bytearray()
        deadline = time.monotonic() + timeout
        while True:
            while chan.recv_ready():
                out += chan.recv(CHUNK)
            while chan.recv_stderr_ready():
                err += chan.recv_stderr(CHUNK)
            if len(out) + len(err) > limits.COMMAND_OUTPUT:
                raise CommandFailed(f"{command}: more than {limits.mib(limits.COMMAND_OUTPUT)} of output")
            if chan.exit_status_ready() and chan.eof_received and not chan.recv_ready() \
                    and not chan.recv_stderr_ready():
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimedOut(command)
            select.select([chan], [], [], min(remaining, 0.5))
        self.budget.charge(len(out) + len(err), self.target)
        return chan.recv_exit_status(), bytes(out), bytes(err)

    def _command(self, argv: list[str], sudo: bool) -> str:
        inner = ["env", "LC_ALL=C", "LANG=C", f"PATH={REMOTE_PATH}", *argv]
        return shlex.join(["sudo", "-n", "--", *inner] if sudo else inner)

    def run(self, argv: list[str], timeout: float = 10.0) -> CommandResult:
        rc, out, err = self._exec(self._command(argv, self.sudo), timeout)
        stderr = err.decode("utf-8", errors="replace")
        head = stderr.lstrip()
        if rc == 127 and head.startswith("env:"):
            raise NotFound(argv[0])
        if rc == 126 and head.startswith("env:"):
            raise CommandFailed(f"{' '.join(argv)}: {_first_line(stderr)}")
        if self.sudo and rc == 1 and head.startswith("sudo:"):
            raise PermissionDenied(f"{' '.join(argv)} (sudo -n: {_first_line(stderr)})")
        return CommandResult(rc, out.decode("utf-8", errors="replace"), stderr)

    def _run_for(self, path: str, argv: list[str], sudo: bool, timeout: float = 30.0) -> bytes:
        rc, out, err = self._exec(self._command(argv, sudo), timeout)
        if rc != 0:
            raise _file_error(path, err.decode("utf-8", errors="replace"))
        return out

    # -- SFTP sessions --------------------------------------------------------------------------
    def _new_sftp(self) -> Any:
        import paramiko

        try:
            chan = self._open_channel()
            chan.invoke_subsystem("sftp")
            sftp = paramiko.SFTPClient(chan)
        except (paramiko.SSHException, EOFError, OSError):
            return None
        sftp.get_channel().settimeout(self.op_timeout)
        return sftp

    def _take(self) -> Any:
        """An idle SFTP session, a new one while under the limit, or None without SFTP."""
        while True:
            try:
                return self._pool.get_nowait()
            except queue.Empty:
                pass
            with self._lock:
                grow = self._sftp_open < self._sftp_max
                if grow:
                    self._sftp_open += 1
            if grow:
                sftp = self._new_sftp()
                if sftp is not None:
                    return sftp
                with self._lock:
                    self._sftp_open -= 1
                    if self._sftp_open == 0:
                        self.sftp_usable = False  # no SFTP subsystem at all
                        return None
                    self._sftp_max = self._sftp_open  # the server allows no more sessions
            try:
                return self._pool.get(timeout=self.op_timeout)
            except queue.Empty:
                raise TimedOut(f"{self.target}: waiting for an SFTP session") from None

    def _give(self, sftp: Any) -> None:
        if self._closed:
            with contextlib.suppress(Exception):
                sftp.close()
            return
        self._pool.put(sftp)

    def _discard(self, sftp: Any) -> None:
        with contextlib.suppress(Exception):
            sftp.close()
        with self._lock:
            self._sftp_open -= 1

    def _shrink_pool(self) -> bool:
        try:
            sftp = self._pool.get_nowait()
        except queue.Empty:
            return False
        self._discard(sftp)
        with self._lock:
            self._sftp_max = max(1, self._sftp_max - 1)
        return True

    def _sftp(self, path: str, op: Callable[[Any], T]) -> T | None:
        """Run `op` with an SFTP session; None when SFTP is not available. Errors are mapped."""
        import paramiko

        if not self.sftp_usable:
            return None
        sftp = self._take()
        if sftp is None:
            return None
        try:
            result = op(sftp)
        except FactUnavailable:
            self._give(sftp)
            raise
        except TimeoutError:
            self._discard(sftp)  # a late answer would confuse the next request
            raise TimedOut(f"{self.target}:{path}") from None
        except OSError as exc:
            self._give(sftp)
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise PermissionDenied(path) from None
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                raise NotFound(path) from None
            raise FactUnavailable(f"{path}: {exc.strerror or exc}") from None
        except (paramiko.SSHException, EOFError) as exc:
            self._discard(sftp)
            raise FactUnavailable(f"{self.target}:{path}: {exc or type(exc).__name__}") from None
        self._give(sftp)
        return result

    # -- files ----------------------------------------------------------------------------------
    def read_bytes(self, path: str, limit: int | None = None, cap: int | None = None) -> bytes:
        if limit is not None and limit <= 0:
            return b""
        cap = limits.CONFIG_FILE if cap is None else cap
        try:
            data = self._sftp(path, lambda s: sftp_read(s, path, limit, cap))
        except PermissionDenied:
            if not self.sudo:
                raise
            data = None
        if data is None:
            want = limit if limit is not None else cap + 1
            data = self._run_for(path, ["sh", "-c", _READ_ONE, "sh", path, str(want)], self.sudo)
        else:
            self.budget.charge(len(data), f"{self.target}:{path}")
        if limit is None and len(data) > cap:
            raise TooLarge(f"{path} (> {limits.mib(cap)})")
        return data

    def _is_dir(self, path: str) -> bool:
        try:
            return self.stat(path).is_dir
        except FactUnavailable:
            return False

    def read_text(self, path: str, cap: int | None = None) -> str:
        return self.read_bytes(path, cap=cap).decode("utf-8", errors="replace")

    def stat(self, path: str) -> StatResult:
        try:
            attrs = self._sftp(path, lambda s: s.stat(path))
        except PermissionDenied:
            if not self.sudo:
                raise
            attrs = None
        if attrs is not None:
            mode = int(attrs.st_mode or 0)
            return StatResult(mode=mode, uid=int(attrs.st_uid or 0), gid=int(attrs.st_gid or 0),
                              size=int(attrs.st_size or 0), mtime=int(attrs.st_mtime or 0),
                              is_dir=stat_mod.S_ISDIR(mode), is_file=stat_mod.S_ISREG(mode), dev=0)
        out = self._run_for(path, ["stat", "-L", "-c", "%f %u %g %s %Y %d", "--", path], self.sudo)
        try:
            raw_mode, uid, gid, size, mtime, dev = out.decode().split()
            mode = int(raw_mode, 16)
            return StatResult(mode=mode, uid=int(uid), gid=int(gid), size=int(size), mtime=int(mtime),
                              is_dir=stat_mod.S_ISDIR(mode), is_file=stat_mod.S_ISREG(mode), dev=int(dev))
        except ValueError:
            raise FactUnavailable(f"{path}: unexpected stat output {out[:80]!r}") from None

    def list_dir(self, path: str) -> list[str]:
        try:
            names = self._sftp(path, lambda s: sftp_listdir(s, path))
        except PermissionDenied:
            if not self.sudo:
                raise
            names = None
        if names is not None:
            return sorted(n for n in names if n not in (".", ".."))
        out = self._run_for(path, ["find", "-H", path, "-mindepth", "1", "-maxdepth", "1", "-printf", "%f\\0"],
                            self.sudo)
        return sorted(n.decode("utf-8", "surrogateescape") for n in out.split(b"\0") if n)

    def read_many(self, paths: list[str], limit: int | None = None) -> dict[str, bytes | FactUnavailable]:
        """Many small files in one round trip (one command), for callers that read hundreds of them,
        such as /proc/<pid>/comm: over a 10 ms link one SFTP read costs three round trips. A file
        that cannot be read maps to its error (not_found, permission_denied). Not for large files."""
        out: dict[str, bytes | FactUnavailable] = {}
        for start in range(0, len(paths), BATCH):
            out.update(self._read_batch(paths[start:start + BATCH], limit))
        return out

    def _read_batch(self, paths: list[str], limit: int | None) -> dict[str, bytes | FactUnavailable]:
        # One line per file: "+<base64>", "-missing" (or a directory) or "-denied"; base64 keeps
        # NULs and newlines intact. `[ -r ]` first: head's failure would be hidden by the pipe.
        want = int(limit) if limit is not None else limits.CONFIG_FILE + 1
        script = ('for f in "$@"; do if [ ! -e "$f" ]; then echo -missing; elif [ ! -f "$f" ]; then echo -special; '
                  f'elif [ -r "$f" ] && b=$(head -c {want} -- "$f" 2>/dev/null | base64 -w0); then '
                  'printf "+%s\\n" "$b"; else echo -denied; fi; done')
        rc, out, err = self._exec(self._command(["sh", "-c", script, "sh", *paths], self.sudo), 30.0)
        lines = out.decode("ascii", errors="replace").split("\n")
        if rc != 0 or len(lines) < len(paths):
            raise _file_error(paths[0] if paths else "-", err.decode("utf-8", errors="replace"))
        result: dict[str, bytes | FactUnavailable] = {}
        for path, line in zip(paths, lines, strict=False):
            if line.startswith("+"):
                try:
                    data = base64.b64decode(line[1:], validate=True)
                except ValueError:  # binascii.Error: not what our script prints, so not to be trusted
                    result[path] = FactUnavailable(f"{path}: unexpected output from the batch read")
                    continue
                result[path] = data if limit is not None or len(data) <= limits.CONFIG_FILE else TooLarge(path)
            elif line == "-special":
                result[path] = NotRegular(path)
            elif line == "-denied":
                result[path] = PermissionDenied(path)
            else:
                result[path] = NotFound(path)
        return result

    def exists(self, path: str) -> bool:
        try:
            self.stat(path)
        except FactUnavailable:
            return False
        return True
