"""This Windows machine: the probe catalogue through the shipped collect.ps1, files for [[backup]] sets.

`secaudit audit` on Windows reads the machine through `WindowsTransport`: the first time anything asks for a
probe (or for `recorded_at`, which the fact registry reads before any collector starts), it runs
secaudit/windows/collect.ps1 once, in one 64-bit Windows PowerShell 5.1 process with a time limit, and keeps
the recording it prints (`secaudit.recording/v1`: collected_at, probes). Probes then answer from it, exactly
as `ReplayTransport` answers from a saved recording: `secaudit facts --record FILE` saves this document, and
`--replay FILE` evaluates it the same way (ages counted from the same collected_at; only `mode` differs).
Files (backup sets) are read as the local transport reads them, at the paths facts/windows/backups.py gives
(/D:/Backup/x for D:\\Backup\\x: `host_path`).

Windows cannot run in this project's CI: this module is tested on Linux with a stand-in for powershell.exe;
collect.ps1 itself was checked against the catalogue and for writes, not executed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from secaudit import limits
from secaudit.config import BackupSet
from secaudit.errors import SecauditError
from secaudit.transport.base import CommandFailed, CommandResult, FactUnavailable, NotFound, TimedOut
from secaudit.transport.local import LocalTransport
from secaudit.transport.replay import SCHEMA, _validate

SCRIPT = Path(__file__).resolve().parent.parent / "windows" / "collect.ps1"
RUN_TIMEOUT = 420.0  # the whole script: above its worst case (27 probes, 4 at a time, 45 s each: 315 s)
PROBE_TIMEOUT = 45  # seconds, passed to collect.ps1 (-ProbeTimeoutSeconds)
_PS_REL = ("WindowsPowerShell", "v1.0", "powershell.exe")
_NO_WINDOW: int = getattr(subprocess, "CREATE_NO_WINDOW", 0)
_DRIVE_PATH = re.compile(r"^/([A-Za-z]:)(/.*)?$")

Runner = Callable[[list[str], float, int], tuple[int, bytes, bytes]]


def host_path(path: str) -> str:
    """The path as Windows opens it: the agent's paths are POSIX-shaped (facts/windows/backups.py turns
    D:\\Backup\\x into /D:/Backup/x, so that globbing and listing work as on Linux): /D:/Backup/x -> D:/Backup/x,
    /D: -> D:/ (the drive's root, not its current directory); //nas/share/x (UNC) and others stay as they are."""
    m = _DRIVE_PATH.match(path)
    if m:
        return m.group(1) + (m.group(2) or "/")
    return path


def windows_path(path: str) -> str:
    r"""The agent's form of a path the config writes the Windows way (the inverse of host_path):
    D:\Backup\x -> /D:/Backup/x; \\nas\share\x -> //nas/share/x; a POSIX path stays as it is."""
    path = path.replace("\\", "/")
    return "/" + path if re.match(r"^[A-Za-z]:(/|$)", path) else path


def native_path(path: str) -> str:
    """The path as this machine's OS opens it, for code that opens files itself rather than through a
    transport (the backup verifiers): host_path on Windows, unchanged elsewhere."""
    return host_path(path) if sys.platform == "win32" else path


def posix_set(bset: BackupSet) -> BackupSet:
    """A [[backup]] set of files with its Windows paths in the agent's form (windows_path): what the listing,
    globbing and the verifiers work on. restic and borg sets keep the config's paths: the tools take them."""
    if bset.kind != "files":
        return bset
    offsite = bset.offsite
    return dataclasses.replace(bset, path=windows_path(bset.path),
                               source=windows_path(bset.source) if bset.source else None,
                               offsite=windows_path(offsite) if offsite and "://" not in offsite else offsite)


def machine_transport() -> LocalTransport:
    """This machine, read directly: WindowsTransport on Windows, LocalTransport elsewhere."""
    from secaudit.transport.family import local_family

    return WindowsTransport() if local_family() == "windows" else LocalTransport()


def powershell_path(env: Mapping[str, str] | None = None, is_64bit_python: bool | None = None) -> str:
    """Windows PowerShell 5.1, 64-bit whenever the OS is: a 32-bit Python on 64-bit Windows is redirected from
    System32 to SysWOW64, whose 32-bit PowerShell lacks Get-LocalUser and friends; `sysnative` reaches the
    real System32 from a 32-bit process (and does not exist for a 64-bit one)."""
    env = os.environ if env is None else env
    windir = env.get("SystemRoot") or env.get("WINDIR") or "C:\\Windows"
    if is_64bit_python is None:
        is_64bit_python = sys.maxsize > 2**32
    wow64 = not is_64bit_python and bool(env.get("PROCESSOR_ARCHITEW6432"))
    folder = "sysnative" if wow64 else "System32"
    return "\\".join([windir.rstrip("\\"), folder, *_PS_REL])


def script_argv(powershell: str, script: Path = SCRIPT, probe_timeout: int = PROBE_TIMEOUT) -> list[str]:
    """The command line: no profile, no prompt, this process's execution policy only (nothing persists)."""
    return [powershell, "-NoLogo", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
            "-File", str(script), "-ProbeTimeoutSeconds", str(probe_timeout)]


def run_bounded(argv: list[str], timeout: float, cap: int, env: Mapping[str, str] | None = None
                ) -> tuple[int, bytes, bytes]:
    """Run a command with no standard input, its output bounded by `cap` bytes (CommandFailed past it) and its
    time by `timeout` (TimedOut): reader threads, since Windows cannot select() on pipes. The command and what
    it started are killed when either limit is reached."""
    shown = argv[0].replace("\\", "/").rsplit("/", 1)[-1]
    flags = _NO_WINDOW | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                creationflags=flags, start_new_session=os.name != "nt",
                                env=None if env is None else dict(env))
    except OSError as exc:
        raise CommandFailed(f"{shown}: {exc.strerror or exc}") from exc
    bufs = (bytearray(), bytearray())
    lock = threading.Lock()
    over = threading.Event()

    def pump(stream: Any, buf: bytearray) -> None:
        while True:
            try:
                chunk = stream.read1(1 << 16) if hasattr(stream, "read1") else stream.read(1 << 16)
            except (OSError, ValueError):  # closed under it: a grandchild kept the pipe past the deadline
                return
            if not chunk:
                return
            with lock:
                buf += chunk
                if len(bufs[0]) + len(bufs[1]) > cap:
                    over.set()
                    return

    streams = (proc.stdout, proc.stderr)
    readers = [threading.Thread(target=pump, args=(s, b), daemon=True) for s, b in zip(streams, bufs, strict=True)]
    for r in readers:
        r.start()
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and not over.is_set():
            if time.monotonic() > deadline:
                raise TimedOut(f"{shown} did not finish within {timeout:.0f} s")
            time.sleep(0.02)
        if over.is_set():
            raise CommandFailed(f"{shown}: more than {limits.mib(cap)} of output")
        for r in readers:
            r.join(max(0.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            _kill_tree(proc)
        for stream in (proc.stdout, proc.stderr):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]
    with lock:
        return proc.returncode, bytes(bufs[0]), bytes(bufs[1])


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """Kill the command and the processes it started (ours only: by our child's id)."""
    if os.name == "nt":
        taskkill = shutil.which("taskkill")
        if taskkill:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run([taskkill, "/F", "/T", "/PID", str(proc.pid)], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=10, creationflags=_NO_WINDOW)
    else:
        import signal

        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait(timeout=5)


def parse_recording(stdout: bytes, stderr: bytes, rc: int) -> dict[str, Any]:
    """collect.ps1's output -> the recording; CommandFailed (one sentence) when it printed no recording."""
    text = stdout.decode("utf-8", errors="replace").strip().lstrip("\ufeff")
    why = next((ln.strip() for ln in stderr.decode("utf-8", errors="replace").splitlines() if ln.strip()), "")
    try:
        doc = json.loads(text) if text else None
    except (ValueError, RecursionError):
        doc = None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(doc.get("probes"), dict):
        detail = why[:200] or (f"exit {rc}, no recording printed" if not text else f"exit {rc}, output is not a "
                                                                                    f"{SCHEMA} document")
        raise CommandFailed(f"collect.ps1: {detail}")
    doc["family"] = "windows"
    try:
        _validate(doc)
    except SecauditError as exc:
        raise CommandFailed(f"collect.ps1: {exc.en}") from None
    return doc


class WindowsTransport(LocalTransport):
    """This Windows machine. ProbeSource: collect.ps1's recording, made once; files: the local transport's."""

    mode = "local"
    live = True
    native = True

    def __init__(self, powershell: str | None = None, script: Path = SCRIPT, timeout: float = RUN_TIMEOUT,
                 runner: Runner = run_bounded) -> None:
        super().__init__()
        self._family = "windows"
        self.powershell = powershell
        self.script = script
        self.timeout = timeout
        self.runner = runner
        self._lock = threading.Lock()
        self._recording: dict[str, Any] | None = None
        self._failure: FactUnavailable | None = None

    def _host_path(self, path: str) -> str:
        return host_path(path)

    def _collect(self) -> dict[str, Any] | None:
        """The recording (collect.ps1 run on the first call only), or None when the script could not give one."""
        with self._lock:
            if self._recording is None and self._failure is None:
                try:
                    self._recording = self._run_script()
                except FactUnavailable as exc:
                    self._failure = exc
            return self._recording

    def _run_script(self) -> dict[str, Any]:
        ps = self.powershell or powershell_path()
        if not os.path.isfile(ps):
            raise NotFound(f"Windows PowerShell ({ps})")
        if not self.script.is_file():
            raise NotFound(f"collect.ps1 ({self.script}): the package is incomplete")
        rc, out, err = self.runner(script_argv(ps, self.script), self.timeout, limits.RECORDING)
        self.budget.charge(len(out) + len(err), "collect.ps1")
        return parse_recording(out, err, rc)

    @property
    def recorded_at(self) -> str | None:
        """When collect.ps1 ran (its collected_at): ages count from it, as they do when its recording is
        replayed. None when it could not run (then every probe says why)."""
        rec = self._collect()
        return None if rec is None else str(rec["collected_at"])

    def probe(self, probe_id: str) -> CommandResult:
        rec = self._collect()
        if rec is None:
            assert self._failure is not None
            raise type(self._failure)(f"probe {probe_id}: {self._failure.detail}")
        found = rec["probes"].get(probe_id)
        if found is None:
            raise NotFound(f"probe {probe_id} (collect.ps1 did not run it)")
        return CommandResult(int(found.get("rc", 0)), str(found.get("stdout", "")), str(found.get("stderr", "")))

    def recording(self) -> dict[str, Any]:
        """The document collect.ps1 printed, to save (`facts --record`): replaying it gives this run's facts.
        Raises the FactUnavailable that stopped the script."""
        rec = self._collect()
        if rec is None:
            assert self._failure is not None
            raise self._failure
        return rec

    def run(self, argv: list[str], timeout: float = 10.0) -> CommandResult:
        """A program of this machine (restic, borg for backup sets), by name on PATH, its output bounded.
        `env NAME=value ... program args` (how the backup code passes a tool its settings) is done here:
        Windows has no env(1)."""
        env: dict[str, str] | None = None
        if argv and argv[0] == "env":
            env, argv = dict(os.environ), argv[1:]
            while argv and "=" in argv[0]:
                name, _, value = argv.pop(0).partition("=")
                env[name] = value
        if not argv:
            raise NotFound("env")
        exe = shutil.which(argv[0])
        if exe is None:
            raise NotFound(argv[0])
        rc, out, err = run_bounded([exe, *argv[1:]], timeout, limits.COMMAND_OUTPUT, env)
        self.budget.charge(len(out) + len(err), argv[0])
        return CommandResult(rc, out.decode("utf-8", errors="replace"), err.decode("utf-8", errors="replace"))
