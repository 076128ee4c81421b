"""A synthetic report payload of any size, for the rendering tests and benchmarks (and for trying a
template without auditing a machine). It follows the report contract; the text is Vietnamese and
English like a real report. `hostile` plants an untrusted string everywhere the agent writes one."""

from __future__ import annotations

import random
import uuid
from typing import Any

from secaudit.status import RANK

_GROUPS = ("ACC", "MAL", "NET", "PAT", "LOG", "DEV", "BAK")
_DOMAINS = ("accounts", "antivirus", "ports", "system", "ssh", "files", "inventory")
_STATUSES = ("pass",) * 9 + ("warn",) * 3 + ("fail",) * 5 + ("unknown",) * 1 + ("not_applicable",) + ("error",)
_SEVERITIES = ("critical", "high", "high", "medium", "medium", "low", "info")
_SUBJECTS = (
    ("Tài khoản quản trị được phân quyền đúng người", "Administrator rights held only by designated people"),
    ("Mật khẩu có độ dài và độ phức tạp đủ mạnh", "Passwords are long and complex enough"),
    ("Phần mềm phòng chống mã độc đang chạy và được cập nhật", "Anti-malware is running and up to date"),
    ("Không mở cổng dịch vụ không an toàn (Telnet, FTP)", "No insecure service ports are open (Telnet, FTP)"),
    ("Hệ điều hành được cập nhật bản vá bảo mật", "The operating system has its security patches"),
    ("Đồng bộ thời gian với máy chủ NTP", "The clock is synchronised with NTP"),
    ("Tệp nhạy cảm có quyền truy cập đúng", "Sensitive files have the right permissions"),
)


def _evidence(rng: random.Random, i: int, hostile: str | None) -> dict[str, Any]:
    kind = i % 5
    if kind == 0:
        users = [{"name": f"gv{rng.randrange(1000):03d}", "uid": 1000 + rng.randrange(500),
                  "source": f"/etc/passwd:{rng.randrange(1, 60)}"} for _ in range(rng.randrange(1, 6))]
        if hostile:
            users.append({"name": hostile, "uid": 0, "source": "/etc/passwd:2"})
        return {"users": users}
    if kind == 1:
        return {"path": rng.choice(("/etc/shadow", "/etc/sudoers", "/etc/ssh/sshd_config")),
                "mode": rng.choice(("0644", "0640", "0666")), "owner": "root", "group": hostile or "shadow"}
    if kind == 2:
        return {"port": rng.choice((21, 23, 445, 3389, 5900)), "proto": "tcp", "address": "0.0.0.0",
                "process": hostile or rng.choice(("inetd", "vsftpd", "smbd")), "pid": rng.randrange(300, 9000)}
    if kind == 3:
        return {"products": [{
            "product": "ClamAV", "vendor": "Cisco Talos (open source)", "running": False, "realtime": False,
            "realtime_source": "clamonacc is not running", "signature_time": "2026-05-01T03:00:00Z",
            "signature_source": "/var/lib/clamav/daily.cld", "updater_running": bool(i % 2),
            "last_scan_time": None, "managed": False, "enabled_units": ["clamav-daemon.service"],
            "source": hostile or "/usr/bin/clamscan"}]}
    return {"lines": [f"/etc/pam.d/common-auth:{rng.randrange(1, 40)}"],
            "services": ["login", "sshd", "su", "sudo", hostile or "other"], "days_since_update": rng.randrange(0, 400)}


def sample_report(findings: int = 200, *, hostname: str = "PC-PHONGMAY-01", hostile: str | None = None,
                  seed: int = 0, software: int = 300, unit_name: str = "Trường THCS Nguyễn Du",
                  unit_code: str = "TH0042", generated_at: str = "2026-06-05T02:30:00Z",
                  role: str = "lab") -> dict[str, Any]:
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for i in range(findings):
        status = _STATUSES[rng.randrange(len(_STATUSES))]
        subject_vi, subject_en = _SUBJECTS[i % len(_SUBJECTS)]
        evidence = _evidence(rng, i, hostile if i % 7 == 0 else None)
        shown = hostile if hostile and i % 7 == 0 else f"gv{i:03d}"
        rows.append({
            "check_id": f"{_DOMAINS[i % len(_DOMAINS)]}.check_{i:04d}",
            "status": status,
            "severity": _SEVERITIES[i % len(_SEVERITIES)],
            "requirements": [],
            "title": {"vi": f"{subject_vi} ({i})", "en": f"{subject_en} ({i})"},
            "message": {"vi": f"Phát hiện tại tài khoản {shown}, tệp /etc/passwd:{i % 50 + 1}.",
                        "en": f"Found for the account {shown}, file /etc/passwd:{i % 50 + 1}."},
            "evidence": evidence,
            "remediation": {
                "vi": "Khóa tài khoản không dùng bằng \"sudo usermod -L <tên>\", đặt mật khẩu mạnh (ít nhất 12 "
                      "ký tự) và ghi lại trong hồ sơ. Kiểm tra lại bằng \"sudo secaudit audit\".",
                "en": "Lock unused accounts with \"sudo usermod -L <name>\", set a strong password (at least 12 "
                      "characters) and record it. Check again with \"sudo secaudit audit\"."},
        })
    requirements = []
    for n, start in enumerate(range(0, findings, 4)):
        group = _GROUPS[n % len(_GROUPS)]
        req_id = f"VN-{group}-{n + 1:02d}"
        members = rows[start:start + 4]
        for f in members:
            f["requirements"].append(req_id)
        subject_vi, subject_en = _SUBJECTS[n % len(_SUBJECTS)]
        requirements.append({
            "id": req_id, "clause": f"II.{n % 9 + 1}.a",
            "title": {"vi": subject_vi, "en": subject_en},
            "status": max((f["status"] for f in members), key=RANK.__getitem__),
            "checks": [f["check_id"] for f in members],
            "basis": "TCVN 11930:2017 mục 7.2.2.1; TT 12/2022/TT-BTTTT",
        })
    rows.sort(key=lambda f: (-RANK[f["status"]], _SEVERITIES.index(f["severity"]), f["check_id"]))
    counts = dict.fromkeys(RANK, 0)
    for req in requirements:
        counts[req["status"]] += 1
    judged = sum(v for k, v in counts.items() if k != "not_applicable")
    score = (200 * counts["pass"] + 100 * counts["warn"]) // (2 * judged) if judged else 0
    name = hostile or hostname
    return {
        "schema": "secaudit.report/v1",
        "report_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "sequence": 42,
        "generated_at": generated_at,
        "tool": {"name": "secaudit", "version": "0.1.0"},
        "unit": {"code": unit_code, "name": unit_name},
        "host": {"hostname": name, "os": {"family": "linux", "name": "Ubuntu 22.04.4 LTS", "version": "22.04"},
                 "agent_id": "A.sample", "role": role},
        "playbook": {"id": "dong-nai-2026", "version": "2026.1", "sha256": "0" * 64,
                     "title": {"vi": "Sở GDĐT Đồng Nai — Kế hoạch ứng dụng CNTT, chuyển đổi số năm 2026",
                               "en": "Đồng Nai DOET — 2026 IT application and digital transformation plan"}},
        "mode": "local",
        "facts_collected_at": generated_at,
        "summary": {**{k: counts[k] for k in ("pass", "warn", "fail", "unknown", "not_applicable", "error")},
                    "score": score},
        "requirements": requirements,
        "findings": rows,
        "inventory": {
            "accounts": [{"name": hostile if hostile and i == 3 else f"gv{i:03d}", "id": str(1000 + i),
                          "enabled": i % 5 != 0, "interactive": True,
                          "password_state": ("set", "locked", "empty")[i % 3],
                          "password_last_change": "2026-01-15T00:00:00Z", "last_login": "2026-06-01T07:45:00Z",
                          "admin": i < 2, "groups": ["users", "sudo"] if i < 2 else ["users"]} for i in range(40)],
            "antivirus": [{"product": "ClamAV", "vendor": "Cisco Talos", "installed": True, "running": True,
                           "realtime": False, "signature_time": "2026-06-04T03:00:00Z", "last_scan_time": None,
                           "managed": False, "source": "/usr/bin/clamscan"}],
            "listening_ports": [{"proto": "tcp", "address": "0.0.0.0", "port": p, "pid": 100 + p,
                                 "process": hostile if hostile and p == 23 else f"svc{p}", "user": "root"}
                                for p in (22, 23, 80, 139, 445, 631, 3306, 5900)],
            "software": [{"name": f"package-{i:04d}", "version": f"1.{i % 10}.{i % 7}", "publisher": "Debian"}
                         for i in range(software)],
            "interfaces": [{"name": "eth0", "mac": "52:54:00:12:34:56", "ipv4": ["10.0.0.21"], "ipv6": []}],
            "backups": [],
            "devices": [],
            "hardware": {"vendor": "Dell Inc.", "model": "OptiPlex 3080", "serial": "7XK2Q33",
                         "cpu": "Intel(R) Core(TM) i3-10100", "memory_bytes": 8 * 1024 ** 3,
                         "disks": [{"name": "sda", "size_bytes": 256 * 1000 ** 3}]},
        },
    }
