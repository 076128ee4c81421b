#!/usr/bin/env python3
"""Backup integrity speed: secaudit against raw reading and hashing, and against restic.

One run, one ~1 GiB dataset (made once under /tmp and reused): .tar.gz and .zip archives and
plain files, with a b3sum and a sha256sum manifest, plus a restic repository of the same files.
Each step is timed cold (page cache dropped, when run as root) and warm (everything cached):

    cat FILES > /dev/null            raw read speed
    b3sum -c B3SUMS                  raw BLAKE3 (Debian b3sum, multithreaded)
    sha256sum -c SHA256SUMS          raw SHA-256 (coreutils, one file at a time)
    secaudit (B3SUMS)                the integrity pass, manifest-verified archives, all cores
    secaudit (SHA256SUMS)            same with the SHA-256 manifest
    secaudit (full decode)           first-run mode: every archive also decompressed and walked
    restic check --read-data         the restic copy of the same files

Targets (issue 3): secaudit ≥ 80 % of the raw hashing speed; ≥ 3× restic check --read-data
for manifest-verified archives; peak memory flat in the size of the data.

    python bench/backup_verify.py [--dir /tmp/secaudit-bench-backup] [--size-mib 1024] [--warm-only]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MiB = 1 << 20
PASSWORD = "secaudit-bench"


# -- dataset ----------------------------------------------------------------------------------------

def _sh(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    subprocess.run(argv, cwd=cwd, check=True, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL)


def _text(path: Path, size: int, seed: int) -> None:
    line = 0
    with open(path, "w", encoding="utf-8") as fh:
        written = 0
        while written < size:
            row = f"{seed},{line},Nguyễn Văn {line % 997},lớp {line % 12 + 1},{(line * 7919) % 100 / 10}\n"
            fh.write(row)
            written += len(row.encode())
            line += 1


def make_dataset(root: Path, size_mib: int) -> Path:
    data = root / "backups"
    marker = root / f".complete-{size_mib}"
    if marker.exists():
        return data
    shutil.rmtree(root, ignore_errors=True)
    src = root / "src"
    src.mkdir(parents=True)
    unit = size_mib * MiB // 40  # the whole set is about 40 units
    for i in range(6):
        (src / f"anh-{i}.bin").write_bytes(os.urandom(unit))
    for i in range(2):
        _text(src / f"diem-{i}.csv", unit, i)
    data.mkdir()
    for i in range(3):  # ~7 units each (text compresses)
        (src / "run.txt").write_text(f"run {i}\n")
        _sh(["tar", "-I", "gzip -1", "-cf", str(data / f"docs-{i}.tar.gz"), "-C", str(root), "src"])
    for i in range(2):
        (src / "run.txt").write_text(f"zip {i}\n")
        _sh(["zip", "-q", "-1", "-r", str(data / f"docs-{i}.zip"), "src"], cwd=root)
    for i in range(max(1, (size_mib * MiB - sum(p.stat().st_size for p in data.iterdir())) // (unit * 2))):
        (data / f"image-{i}.raw").write_bytes(os.urandom(unit * 2))
    names = sorted(p.name for p in data.iterdir())
    with open(data / "SHA256SUMS", "w") as fh:
        subprocess.run(["sha256sum", *names], cwd=data, check=True, stdout=fh)
    if shutil.which("b3sum"):
        with open(data / "B3SUMS", "w") as fh:
            subprocess.run(["b3sum", *names], cwd=data, check=True, stdout=fh)
    else:
        import blake3

        with open(data / "B3SUMS", "w") as fh:
            for n in names:
                h = blake3.blake3(max_threads=blake3.blake3.AUTO)
                h.update_mmap(str(data / n))
                fh.write(f"{h.hexdigest()}  {n}\n")
    shutil.rmtree(src)
    if shutil.which("restic"):
        (root / "restic.pass").write_text(PASSWORD)
        env = {"RESTIC_PASSWORD_FILE": str(root / "restic.pass")}
        _sh(["restic", "-r", str(root / "restic"), "init", "-q"], env=env)
        _sh(["restic", "-r", str(root / "restic"), "backup", "-q", str(data)], env=env)
    marker.write_text("")
    return data


def payload(data: Path) -> list[Path]:
    return sorted(p for p in data.iterdir() if p.name not in ("SHA256SUMS", "B3SUMS"))


# -- timing ------------------------------------------------------------------------------------------

def drop_caches() -> bool:
    if os.geteuid() != 0:
        return False
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def timed(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
          shell: bool = False) -> tuple[float, int, str]:
    """(seconds, peak RSS in KiB, stdout). The peak RSS is the child's own: a child forked from this
    Python process would start with a copy of its pages, so it is measured by GNU time (which
    takes it with wait4 from its own, tiny, child) when installed, else by os.wait4 here."""
    cmd = argv if not shell else ["sh", "-c", argv[0]]
    gnu_time = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
    if gnu_time:
        cmd = [gnu_time, "-f", "@@rss %M", *cmd]
    import tempfile

    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out_f, stderr=err_f, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_f.seek(0)
        err_f.seek(0)
        out, err = out_f.read().decode(errors="replace"), err_f.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{argv}: {err[-500:]}")
    rss = usage.ru_maxrss
    for line in err.splitlines():
        if line.startswith("@@rss "):
            rss = int(line.split()[1])
    return seconds, rss, out


def driver(data: str, manifest: str, mode: str, only: str) -> None:
    """Child process: secaudit's integrity pass over the dataset (no drill, no report)."""
    from secaudit.backup.budget import Allowance
    from secaudit.backup.filesets import verify_set
    from secaudit.backup.sets import list_files
    from secaudit.config import BackupSet
    from secaudit.transport.local import LocalTransport

    pattern = f"{data}/{only}" if only else data
    bset = BackupSet(name="bench", path=pattern, verify=mode)
    listing = list_files(LocalTransport(), bset, sniff=False)
    listing.manifests = [f"{data}/{m}" for m in manifest.split(",") if m]
    started = time.perf_counter()
    run = verify_set(bset, listing, {}, {}, Allowance(None, None), int(time.time()))
    seconds = time.perf_counter() - started
    print(json.dumps({"bytes": run.bytes_verified, "seconds": seconds, "errors": len(run.errors),
                      "methods": sorted(run.methods)}))


# -- main ---------------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default="/tmp/secaudit-bench-backup")
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--warm-only", action="store_true")
    ap.add_argument("--driver", nargs=4, metavar=("DATA", "MANIFEST", "MODE", "ONLY"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.driver:
        driver(*args.driver)
        return
    for tool in ("tar", "zip", "sha256sum"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is required (Debian: tar zip coreutils)")
    root = Path(args.dir)
    t0 = time.perf_counter()
    data = make_dataset(root, args.size_mib)
    files = payload(data)
    total = sum(p.stat().st_size for p in files)
    print(f"dataset {data}: {len(files)} files, {total / MiB:.0f} MiB "
          f"({len([f for f in files if f.suffix == '.gz'])} .tar.gz, {len([f for f in files if f.suffix == '.zip'])} "
          f".zip, {len([f for f in files if f.suffix == '.raw'])} plain) — ready in {time.perf_counter() - t0:.0f} s")
    print(f"cpus: {len(os.sched_getaffinity(0))}; b3sum: {shutil.which('b3sum') or 'absent (Python blake3)'}")
    py = sys.executable
    me = str(Path(__file__).resolve())
    steps: list[tuple[str, list[str], dict[str, object]]] = [
        ("cat > /dev/null", ["cat " + " ".join(str(f) for f in files) + " > /dev/null"], {"shell": True}),
        ("b3sum -c B3SUMS", ["b3sum", "--quiet", "-c", "B3SUMS"], {"cwd": data}),
        ("sha256sum -c SHA256SUMS", ["sha256sum", "--quiet", "-c", "SHA256SUMS"], {"cwd": data}),
        ("secaudit (B3SUMS)", [py, me, "--driver", str(data), "B3SUMS", "hash", ""], {}),
        ("secaudit (SHA256SUMS)", [py, me, "--driver", str(data), "SHA256SUMS", "hash", ""], {}),
        ("secaudit (full decode)", [py, me, "--driver", str(data), "B3SUMS", "full", ""], {}),
    ]
    if not shutil.which("b3sum"):
        steps = [s for s in steps if not s[0].startswith("b3sum")]
    restic_bytes = 0
    if shutil.which("restic") and (root / "restic").exists():
        restic_bytes = sum(p.stat().st_size for p in (root / "restic" / "data").rglob("*") if p.is_file())
        steps.append(("restic check --read-data", ["restic", "-r", str(root / "restic"), "check", "--read-data",
                                                    "--no-cache"],
                      {"env": {"RESTIC_PASSWORD_FILE": str(root / "restic.pass")}}))
    rounds = ["warm"] if args.warm_only or os.geteuid() != 0 else ["cold", "warm"]
    results: dict[str, dict[str, tuple[float, int]]] = {r: {} for r in rounds}
    inner: dict[str, dict[str, float]] = {r: {} for r in rounds}  # the pass alone, without interpreter start
    for rnd in rounds:
        if rnd == "warm":
            timed(["cat " + " ".join(str(f) for f in files) + " > /dev/null"], shell=True)
            if restic_bytes:
                timed(["sh", "-c", f"find {root / 'restic'} -type f -exec cat {{}} + > /dev/null"])
        for name, argv, opts in steps:
            if rnd == "cold":
                drop_caches()
            seconds, rss, out = timed(argv, cwd=opts.get("cwd"), env=opts.get("env"),  # type: ignore[arg-type]
                                      shell=bool(opts.get("shell")))
            if out.startswith("{"):
                info = json.loads(out)
                assert info["errors"] == 0, info
                assert info["bytes"] == total, (info["bytes"], total)
                inner[rnd][name] = float(info["seconds"])
            results[rnd][name] = (seconds, rss)
    print()
    for rnd in rounds:
        print(f"{rnd} cache" + (" (dropped before each step)" if rnd == "cold" else ""))
        print(f"  {'step':<28}{'seconds':>9}{'MB/s':>9}{'peak RSS':>11}   (pass alone, no interpreter start)")
        for name, (seconds, rss) in results[rnd].items():
            nbytes = restic_bytes if name.startswith("restic") else total
            extra = ""
            if name in inner[rnd]:
                extra = f"   {inner[rnd][name]:.2f} s, {nbytes / inner[rnd][name] / 1e6:.0f} MB/s"
            print(f"  {name:<28}{seconds:>9.2f}{nbytes / seconds / 1e6:>9.0f}{rss / 1024:>9.0f} MB{extra}")
        r = results[rnd]

        def speed(step: str, r: dict[str, tuple[float, int]] = r) -> float:
            return (restic_bytes if step.startswith("restic") else total) / r[step][0]

        def line(label: str, ratio: float, target: float | None = None) -> None:
            verdict = "" if target is None else f"  (target ≥ {target:g}: {'met' if ratio >= target else 'NOT met'})"
            print(f"    {label:<34}{ratio:5.2f}{verdict}")

        print("  ratios:")
        if "b3sum -c B3SUMS" in r:
            line("secaudit(B3SUMS) / b3sum", speed("secaudit (B3SUMS)") / speed("b3sum -c B3SUMS"), 0.8)
        line("secaudit(SHA256SUMS) / sha256sum", speed("secaudit (SHA256SUMS)") / speed("sha256sum -c SHA256SUMS"),
             0.8)
        line("secaudit(B3SUMS) / cat", speed("secaudit (B3SUMS)") / speed("cat > /dev/null"))
        if "b3sum -c B3SUMS" in r:  # without the ~0.1 s interpreter start, which dominates a warm 1 GiB
            line("secaudit(B3SUMS) pass alone / b3sum", r["b3sum -c B3SUMS"][0] / inner[rnd]["secaudit (B3SUMS)"], 0.8)
        if "restic check --read-data" in r:
            line("secaudit(B3SUMS) / restic check", speed("secaudit (B3SUMS)") / speed("restic check --read-data"), 3)
            line("secaudit(full) / restic check", speed("secaudit (full decode)") / speed("restic check --read-data"))
        print()
    # memory flat in the size of the data: the same pass over the plain files only (~1/5 of the bytes)
    _small_s, small_rss, small_out = timed([py, me, "--driver", str(data), "B3SUMS", "hash", "image-*.raw"])
    small = json.loads(small_out)["bytes"]
    big_rss = results[rounds[-1]]["secaudit (B3SUMS)"][1]
    print(f"peak RSS of the secaudit pass: {small_rss / 1024:.0f} MB over {small / MiB:.0f} MiB, "
          f"{big_rss / 1024:.0f} MB over {total / MiB:.0f} MiB")


if __name__ == "__main__":
    main()
