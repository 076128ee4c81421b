"""The machine the agent runs on, and a mounted filesystem of another one (--root)."""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import select
import shutil
import signal
import stat as stat_mod
import subprocess
import time

from secaudit import limits
from secaudit.transport.base import (
    CommandFailed,
    CommandResult,
    FactUnavailable,
    NotApplicable,
    NotFound,
    NotRegular,
    PermissionDenied,
    ReadBudget,
    StatResult,
    TimedOut,
    TooLarge,
)
from secaudit.transport.family import local_family, probe

_MAX_SYMLINKS = 40
# O_NONBLOCK, O_NOCTTY and O_CLOEXEC are POSIX-only: on Windows (transport/windows.py) the module must import too.
_READ_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOINHERIT", 0))


def read_fd(fd: int, path: str, limit: int | None, cap: int | None) -> bytes:
    """Read an open descriptor of `path` under the transport contract (see Transport.read_bytes)."""
    st = os.fstat(fd)
    if not stat_mod.S_ISREG(st.st_mode):  # swapped for something else between stat and open
        raise NotRegular(path)
    cap = limits.CONFIG_FILE if cap is None else cap
    if limit is None and st.st_size > cap:
        raise TooLarge(f"{path} ({limits.mib(st.st_size)} > {limits.mib(cap)})")
    want = limit if limit is not None else cap + 1  # /proc and growing files report no or a stale size
    chunks: list[bytes] = []
    got = 0
    while got < want:
        chunk = os.read(fd, min(1 << 20, want - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    if limit is None and got > cap:
        raise TooLarge(f"{path} (> {limits.mib(cap)})")
    return b"".join(chunks)


def _os_error(exc: OSError, path: str) -> FactUnavailable:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return PermissionDenied(path)
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return NotFound(path)
    return FactUnavailable(f"{path}: {exc.strerror}")


class LocalTransport:
    """Reads this machine. `prefix` maps the audited system's `/` onto the host filesystem."""

    mode = "local"
    live = True
    native = True  # the audited system is the machine this process runs on: its OS APIs (psutil) answer for it

    def __init__(self) -> None:
        self.budget = ReadBudget(limits.READ_BUDGET)
        self._family: str | None = None

    @property
    def family(self) -> str:
        """The OS family of the audited system: this machine's (a mounted root is probed)."""
        if self._family is None:
            self._family = local_family() if self.native else probe(self, commands=False)
        return self._family

    def _host_path(self, path: str) -> str:
        return path

    def read_bytes(self, path: str, limit: int | None = None, cap: int | None = None) -> bytes:
        real = self._host_path(path)
        try:
            if not stat_mod.S_ISREG(os.stat(real).st_mode):  # never open a FIFO or a device
                raise NotRegular(path)
            fd = os.open(real, _READ_FLAGS)
        except OSError as exc:
            raise _os_error(exc, path) from exc
        try:
            data = read_fd(fd, path, limit, cap)
        except OSError as exc:
            raise _os_error(exc, path) from exc
        finally:
            os.close(fd)
        self.budget.charge(len(data), path)
        return data

    def read_text(self, path: str, cap: int | None = None) -> str:
        return self.read_bytes(path, cap=cap).decode("utf-8", errors="replace")

    def stat(self, path: str) -> StatResult:
        try:
            st = os.stat(self._host_path(path))
        except OSError as exc:
            raise _os_error(exc, path) from exc
        return StatResult(
            mode=st.st_mode,
            uid=st.st_uid,
            gid=st.st_gid,
            size=st.st_size,
            mtime=int(st.st_mtime),
            is_dir=stat_mod.S_ISDIR(st.st_mode),
            is_file=stat_mod.S_ISREG(st.st_mode),
            dev=st.st_dev,
        )

    def list_dir(self, path: str) -> list[str]:
        names: list[str] = []
        try:
            with os.scandir(self._host_path(path)) as entries:
                for entry in entries:
                    names.append(entry.name)
                    if len(names) > limits.DIR_ENTRIES:
                        raise TooLarge(f"{path} (more than {limits.DIR_ENTRIES} entries)")
        except OSError as exc:
            raise _os_error(exc, path) from exc
        return sorted(names)

    def exists(self, path: str) -> bool:
        try:
            os.stat(self._host_path(path))
        except OSError:
            return False
        return True

    def run(self, argv: list[str], timeout: float = 10.0) -> CommandResult:
        exe = shutil.which(argv[0])
        if exe is None:
            raise NotFound(argv[0])
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "LC_ALL": "C", "LANG": "C"}
        rc, out, err = run_capped([exe, *argv[1:]], timeout, limits.COMMAND_OUTPUT, env, " ".join(argv))
        self.budget.charge(len(out) + len(err), argv[0])
        return CommandResult(rc, out.decode("utf-8", errors="replace"), err.decode("utf-8", errors="replace"))


def run_capped(argv: list[str], timeout: float, cap: int, env: dict[str, str] | None = None,
               shown: str | None = None) -> tuple[int, bytes, bytes]:
    """Run a command with no standard input; its output is bounded (killed past `cap` bytes: CommandFailed)
    and so is its time (killed at `timeout`: TimedOut). Unlike subprocess.run, a command that prints
    without end can neither fill memory nor outlive the deadline."""
    shown = shown or " ".join(argv)
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, start_new_session=True)
    except OSError as exc:
        raise CommandFailed(f"{shown}: {exc.strerror}") from exc
    assert proc.stdout is not None and proc.stderr is not None
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    bufs = {out_fd: bytearray(), err_fd: bytearray()}
    open_fds = set(bufs)
    deadline = time.monotonic() + timeout
    try:
        while open_fds:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimedOut(shown)
            ready, _, _ = select.select(list(open_fds), [], [], remaining)
            for fd in ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    open_fds.discard(fd)
                bufs[fd] += chunk
            if sum(len(b) for b in bufs.values()) > cap:
                raise CommandFailed(f"{shown}: more than {limits.mib(cap)} of output")
        rc = proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise TimedOut(shown) from None
    finally:
        if proc.poll() is None:
            _kill_group(proc)
        proc.stdout.close()
        proc.stderr.close()
    return rc, bytes(bufs[out_fd]), bytes(bufs[err_fd])


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the command and whatever it started (its own session), then reap it."""
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait(timeout=5)


class RootTransport(LocalTransport):
    """A mounted filesystem: every path, and every absolute symlink, resolves under `root`."""

    mode = "root"
    live = False
    native = False

    def __init__(self, root: str) -> None:
        super().__init__()
        self.root = os.path.realpath(root)
        if not os.path.isdir(self.root):
            raise NotFound(root)

    def _host_path(self, path: str) -> str:
        # Resolve component by component so that an absolute symlink inside the image
        # (e.g. /etc/localtime -> /usr/share/zoneinfo/...) stays inside the image.
        parts = [p for p in posixpath.normpath("/" + path).split("/") if p]
        resolved: list[str] = []
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = os.path.join(self.root, *resolved, part)
            if os.path.islink(candidate):
                hops += 1
                if hops > _MAX_SYMLINKS:
                    raise FactUnavailable(f"{path}: too many symbolic links")
                target = os.readlink(candidate)
                if target.startswith("/"):
                    resolved = []
                parts = [p for p in target.split("/") if p and p != "."] + parts
                continue
            resolved.append(part)
        return os.path.join(self.root, *resolved)

    def run(self, argv: list[str], timeout: float = 10.0) -> CommandResult:
        raise NotApplicable("commands do not run against a mounted filesystem")
