"""A throwaway LAN built from network namespaces, for the scan tests and bench/scan_vs_nmap.py.

Nothing touches the root namespace's network: a bridge lives in its own namespace, every host
(and the scanner) is a namespace with one veth into that bridge, addresses 10.77.0.0/24.

    scanner  10.77.0.2   02:00:00:00:00:02   runs secaudit scan / nmap
    ssh      10.77.0.11  02:00:00:00:00:11   real OpenSSH (sshd -D) on 22
    web      10.77.0.12  02:00:00:00:00:12   python -m http.server on 80; nft redirects 8080 -> 80
    legacy   10.77.0.13  02:00:00:00:00:13   plain TCP listeners on 23 and 3306
    dropper  10.77.0.14  02:00:00:00:00:14   nft input policy drop (answers ARP only); a listener on 80 behind it

Everything is removed by `down()` (namespaces deleted, processes killed), also after a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SUBNET = "10.77.0.0/24"
SCANNER_IP = "10.77.0.2"
REPO = Path(__file__).resolve().parents[2]

LISTENER = r"""
import selectors, socket, sys
sel = selectors.DefaultSelector()
for port in map(int, sys.argv[2:]):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], port)); s.listen(16); s.setblocking(False); sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        try:
            conn, _ = key.fileobj.accept(); conn.close()
        except OSError:
            pass
"""


@dataclass
class Host:
    name: str  # role in the lab: ssh, web, legacy, dropper
    ip: str
    mac: str
    ports: set[int]  # open as seen from the network
    ns: str = ""


@dataclass
class NetLab:
    tag: str = field(default_factory=lambda: f"sa{os.getpid() % 100000}")
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="secaudit-netlab-")))
    hosts: list[Host] = field(default_factory=lambda: [
        Host("ssh", "10.77.0.11", "02:00:00:00:00:11", {22}),
        Host("web", "10.77.0.12", "02:00:00:00:00:12", {80, 8080}),
        Host("legacy", "10.77.0.13", "02:00:00:00:00:13", {23, 3306}),
        Host("dropper", "10.77.0.14", "02:00:00:00:00:14", set()),
    ])
    namespaces: list[str] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def bridge_ns(self) -> str:
        return f"{self.tag}-br"

    @property
    def scanner_ns(self) -> str:
        return f"{self.tag}-scan"

    def host(self, name: str) -> Host:
        return next(h for h in self.hosts if h.name == name)

    # -- building ---------------------------------------------------------------------------------

    def up(self) -> NetLab:
        try:
            self._netns(self.bridge_ns)
            _ip("-n", self.bridge_ns, "link", "add", "br0", "type", "bridge")
            _ip("-n", self.bridge_ns, "link", "set", "br0", "up")
            self._member(self.scanner_ns, "v2", SCANNER_IP, "02:00:00:00:00:02")
            for i, host in enumerate(self.hosts):
                host.ns = f"{self.tag}-{host.name}"
                self._member(host.ns, f"vh{i}", host.ip, host.mac)
            self._services()
        except BaseException:
            self.down()
            raise
        return self

    def _netns(self, name: str) -> None:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)  # a leftover
        _ip("netns", "add", name)
        self.namespaces.append(name)
        _ip("-n", name, "link", "set", "lo", "up")

    def _member(self, ns: str, bridge_side: str, ip: str, mac: str) -> None:
        """A namespace with eth0 (ip/24, mac), its veth peer enslaved to the bridge."""
        self._netns(ns)
        # Created inside the bridge namespace, the peer moved straight into `ns`: never in the root one.
        _ip("-n", self.bridge_ns, "link", "add", bridge_side, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _ip("-n", self.bridge_ns, "link", "set", bridge_side, "master", "br0", "up")
        _ip("-n", ns, "link", "set", "eth0", "address", mac)
        _ip("-n", ns, "addr", "add", f"{ip}/24", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")

    def _services(self) -> None:
        ssh, web, legacy, dropper = (self.host(n) for n in ("ssh", "web", "legacy", "dropper"))
        self._sshd(ssh)
        www = self.work / "www"
        www.mkdir(exist_ok=True)
        (www / "index.html").write_text("lab\n")
        self.start(web.ns, [sys.executable, "-m", "http.server", "80", "--bind", web.ip, "--directory", str(www)])
        # Port forwarding that the host's own socket list cannot show: 8080 answers, nothing listens on it.
        self.nft(web.ns, "add table ip nat\n"
                         "add chain ip nat pre { type nat hook prerouting priority -100; }\n"
                         "add rule ip nat pre tcp dport 8080 redirect to :80\n")
        self.start(legacy.ns, [sys.executable, "-c", LISTENER, legacy.ip, "23", "3306"])
        self.start(dropper.ns, [sys.executable, "-c", LISTENER, dropper.ip, "80"])
        self.nft(dropper.ns, "add table inet lab\n"
                             "add chain inet lab in { type filter hook input priority 0; policy drop; }\n")
        for host, port in ((ssh, 22), (web, 80), (legacy, 23), (legacy, 3306), (dropper, 80)):
            self.wait_listening(host.ns, port)

    def _sshd(self, host: Host) -> None:
        sshd = shutil.which("sshd") or "/usr/sbin/sshd"
        key = self.work / "ssh_host_ed25519_key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True,
                       capture_output=True)
        config = self.work / "sshd_config"
        config.write_text(f"Port 22\nListenAddress {host.ip}\nHostKey {key}\nPidFile {self.work}/sshd.pid\n"
                          "UsePAM no\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n")
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
        self.start(host.ns, [sshd, "-D", "-e", "-f", str(config)])

    def start(self, ns: str, argv: list[str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(["ip", "netns", "exec", ns, *argv], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        self.procs.append(proc)
        return proc

    def nft(self, ns: str, script: str) -> None:
        subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=script.encode(), check=True,
                       capture_output=True)

    def wait_listening(self, ns: str, port: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = subprocess.run(["ip", "netns", "exec", ns, "ss", "-Hltn", f"sport = :{port}"],
                                 capture_output=True, text=True, check=False).stdout
            if out.strip():
                return
            time.sleep(0.05)
        raise RuntimeError(f"nothing listens on {port} in {ns}")

    # -- using ----------------------------------------------------------------------------------

    def run_in(self, ns: str, argv: list[str], env: dict[str, str] | None = None,
               timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run a command inside a lab namespace (the scanner's, usually), from the repository root."""
        full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
        return subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True, check=False,
                              timeout=timeout, cwd=REPO, env=full_env)

    def in_scanner(self, argv: list[str], env: dict[str, str] | None = None,
                   timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return self.run_in(self.scanner_ns, argv, env, timeout)

    # -- tearing down -----------------------------------------------------------------------------

    def down(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, 15)
        for proc in self.procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, 9)
                proc.wait(timeout=5)
        self.procs.clear()
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
        self.namespaces.clear()
        shutil.rmtree(self.work, ignore_errors=True)


def _ip(*args: str) -> None:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {proc.stderr.strip()}")


def lab_available() -> str | None:
    """Why the lab cannot be built here, or None."""
    if os.geteuid() != 0:
        return "the network lab needs root (ip netns)"
    for tool in ("ip", "nft", "nmap", "sshd", "ssh-keygen", "ss"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return f"{tool} is not installed"
    return None
