"""secaudit scan vs raw nmap with the same options, and the ARP sweep of a /24, in one run.

Builds the namespace lab of the integration tests (tests/integration/netlab.py: 4 hosts with
OpenSSH, HTTP, TCP 23/3306 and one that DROPs everything, in 10.77.0.0/24), then from the
scanner namespace times:

  nmap      nmap -sS -n -T4 --max-retries 2 --host-timeout 120s -p <secaudit's top100 list>
            --exclude <scanner> 10.77.0.0/24
            (secaudit's port-scan options; nmap does its own host discovery, ARP on this segment,
            where secaudit sweeps ARP with scapy first and port-scans the live hosts with -Pn)
  secaudit  python -m secaudit scan 10.77.0.0/24 --format json -o ... --no-sign
            (the whole command: start-up, ARP sweep, port scan, names, report)
  arp       scapy ARP sweep of the 253 other addresses of the /24 in a fresh process,
            with and without the scapy import

Targets: secaudit within 1.2x of nmap; ARP discovery of the /24 under 2 s.
Needs root (ip netns). Usage: sudo .venv/bin/python bench/scan_vs_nmap.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from secaudit.network.nmapscan import DEFAULT_HOST_TIMEOUT, TIMING, port_spec  # noqa: E402
from tests.integration.netlab import SCANNER_IP, SUBNET, NetLab, lab_available  # noqa: E402

ARP_PROBE = """
import json, time
t0 = time.perf_counter()
from secaudit.network.arp import arp_sweep
import scapy.layers.l2, scapy.sendrecv  # what arp_sweep imports, timed apart
t1 = time.perf_counter()
found = arp_sweep("eth0", ["10.77.0.%d" % i for i in range(1, 255) if i != 2])
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "sweep": t2 - t1, "found": sorted(found)}))
"""


def timed(lab: NetLab, argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    start = time.perf_counter()
    proc = lab.in_scanner(argv, env=env, timeout=600)
    return time.perf_counter() - start, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    why = lab_available()
    if why:
        print(f"cannot run: {why}", file=sys.stderr)
        return 2

    ports = port_spec("top100")
    nmap = ["nmap", "-sS", "-n", *TIMING, "--host-timeout", f"{DEFAULT_HOST_TIMEOUT}s", *ports.args,
            "--exclude", SCANNER_IP, SUBNET]
    lab = NetLab().up()
    try:
        out = lab.work / "scan.json"
        secaudit = [sys.executable, "-m", "secaudit", "scan", SUBNET, "--format", "json", "-o", str(out), "--no-sign",
                    "--lang", "en"]
        env = {"SECAUDIT_STATE_DIR": str(lab.work / "state")}
        timed(lab, nmap)  # warm-up: page cache, nmap's data files, Python bytecode
        timed(lab, secaudit, env)
        nmap_runs: list[float] = []
        ours: list[float] = []
        for _ in range(args.runs):  # interleaved, so drift affects both alike
            wall, code = timed(lab, nmap)
            assert code == 0, f"nmap exited {code}"
            nmap_runs.append(wall)
            wall, code = timed(lab, secaudit, env)
            assert code in (0, 1), f"secaudit exited {code}"
            ours.append(wall)
        devices = json.loads(out.read_text(encoding="utf-8"))["inventory"]["devices"]
        arp = []
        for _ in range(args.runs):
            proc = lab.in_scanner([sys.executable, "-c", ARP_PROBE])
            arp.append(json.loads(proc.stdout))
    finally:
        lab.down()

    n_med, s_med = statistics.median(nmap_runs), statistics.median(ours)
    sweep = statistics.median(a["sweep"] for a in arp)
    total = statistics.median(a["import"] + a["sweep"] for a in arp)
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, "
          f"{platform.freedesktop_os_release().get('PRETTY_NAME', '')}, date {datetime.now(UTC):%Y-%m-%d}")
    print(f"lab: {SUBNET}, {len(lab.hosts)} hosts (one drops every packet), {ports.count} TCP ports ({ports.label}), "
          f"{args.runs} runs each, medians")
    print(f"nmap (same options)  : {n_med:.2f} s  (min {min(nmap_runs):.2f}, max {max(nmap_runs):.2f})")
    print(f"secaudit scan        : {s_med:.2f} s  (min {min(ours):.2f}, max {max(ours):.2f}); "
          f"{len(devices)} devices, {sum(len(d['open_ports']) for d in devices)} open ports")
    ratio = s_med / n_med
    print(f"ratio secaudit/nmap  : {ratio:.2f}x  (target <= 1.2x: {'met' if ratio <= 1.2 else 'NOT met'})")
    print(f"ARP sweep of the /24 : {sweep:.2f} s sweep (1.0 s of it waiting for late replies), {total:.2f} s "
          "with the scapy import; "
          f"found {len(arp[-1]['found'])} hosts  (target < 2 s: {'met' if total < 2 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
