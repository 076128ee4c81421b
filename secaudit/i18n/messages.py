"""User-interface strings (CLI, terminal report), read through `secaudit.i18n.t`. Check texts live with
the checks' metadata."""

MESSAGES: dict[str, dict[str, str]] = {
    "report.title": {"vi": "Báo cáo kiểm tra an toàn thông tin", "en": "Information security audit report"},
    "report.host": {"vi": "Máy", "en": "Host"},
    "report.unit": {"vi": "Đơn vị", "en": "Unit"},
    "report.playbook": {"vi": "Bộ yêu cầu", "en": "Playbook"},
    "report.mode": {"vi": "Chế độ", "en": "Mode"},
    "report.generated": {"vi": "Thời điểm", "en": "Generated"},
    "report.score": {"vi": "Điểm tuân thủ", "en": "Compliance score"},
    "report.requirements": {"vi": "Yêu cầu", "en": "Requirements"},
    "report.requirement": {"vi": "Yêu cầu", "en": "Requirement"},
    "report.clause": {"vi": "Điều khoản", "en": "Clause"},
    "report.status": {"vi": "Kết quả", "en": "Result"},
    "report.check": {"vi": "Kiểm tra", "en": "Check"},
    "report.fix": {"vi": "Cách khắc phục", "en": "How to fix"},
    "report.evidence": {"vi": "Minh chứng", "en": "Evidence"},
    "report.severity": {"vi": "Mức độ", "en": "Severity"},
    "report.no_findings": {"vi": "Không có phát hiện cần xử lý.", "en": "Nothing to fix."},
    "report.role": {"vi": "Vai trò", "en": "Role"},
    "report.written": {"vi": "Đã ghi báo cáo: {path}", "en": "Report written: {path}"},
    "report.more": {"vi": "… và {n} kiểm tra khác đạt yêu cầu", "en": "… and {n} more passing checks"},
    "role.server": {"vi": "máy chủ", "en": "server"},
    "role.workstation": {"vi": "máy trạm", "en": "workstation"},
    "role.lab": {"vi": "phòng máy", "en": "computer lab"},
    "check.unknown": {"vi": "Không xác định được: {reason}.", "en": "Could not be determined: {reason}."},
    "check.not_applicable": {"vi": "Không áp dụng: {reason}.", "en": "Not applicable: {reason}."},
    "check.role_na": {
        "vi": "Không áp dụng cho vai trò {role}.",
        "en": "Does not apply to the {role} role.",
    },
    "check.platform_na": {
        "vi": "Không áp dụng cho {os}: kiểm tra này chỉ dành cho {platforms}.",
        "en": "Does not apply to {os}: this check is for {platforms} only.",
    },
    "check.live_na": {
        "vi": "Không áp dụng khi kiểm tra hệ thống tệp gắn kết (không có tiến trình đang chạy).",
        "en": "Not applicable when auditing a mounted filesystem (no running processes).",
    },
    "check.more": {
        "vi": "(và {n} vấn đề khác, xem bằng chứng)",
        "en": "(and {n} more, see the evidence)",
    },
    "check.see_other": {
        "vi": "Cùng nguyên nhân với kiểm tra {check} ({title}); xem kết quả đó.",
        "en": "The same cause as check {check} ({title}); see that finding.",
    },
    "check.error": {"vi": "Lỗi trong kiểm tra: {error}", "en": "The check failed: {error}"},
    "check.not_a_system": {
        "vi": "Không xác định được: thư mục gốc được kiểm tra không giống một hệ điều hành đã cài đặt "
              "(không có tệp nào trong số {markers}).",
        "en": "Could not be determined: the audited root does not look like an installed operating system "
              "(none of {markers} exists).",
    },
    "check.windows_unread": {
        "vi": "Không xác định được: không đọc được dữ liệu của Windows ({detail}).",
        "en": "Could not be determined: the Windows probes could not be read ({detail}).",
    },
    "audit.windows_unread": {
        "vi": "CẢNH BÁO: không đọc được dữ liệu của Windows ({detail}). Báo cáo vẫn được ghi nhưng mọi kiểm tra "
              "đều không xác định.",
        "en": "WARNING: the Windows probes could not be read ({detail}). The report is written, but every check "
              "is unknown.",
    },
    "audit.not_a_system": {
        "vi": "CẢNH BÁO: {root} không giống một hệ điều hành đã cài đặt (không có {markers}); có thể đã chỉ "
              "sai thư mục hoặc sai phân vùng. Báo cáo vẫn được ghi nhưng mọi kiểm tra đều không xác định.",
        "en": "WARNING: {root} does not look like an installed operating system (no {markers}); the wrong "
              "directory or partition may have been given. The report is written, but every check is unknown.",
    },
    "check.timeout": {
        "vi": "Kiểm tra vượt quá thời gian cho phép ({seconds} giây).",
        "en": "The check exceeded its time limit ({seconds} s).",
    },
    "error.internal": {
        "vi": "Lỗi nội bộ: {error} (chạy lại với --debug để xem chi tiết).",
        "en": "Internal error: {error} (run again with --debug for details).",
    },
    "error.deadline": {
        "vi": "Lần chạy vượt quá thời hạn {seconds} giây nên đã dừng (báo cáo trước đó, nếu có, vẫn còn nguyên); "
              "đặt thời hạn khác bằng --deadline.",
        "en": "The run passed its deadline of {seconds} s and was stopped (any previous report is intact); "
              "set another deadline with --deadline.",
    },
    "error.write": {"vi": "Không ghi được {path}: {error}.", "en": "Cannot write {path}: {error}."},
    "error.write_link": {
        "vi": "Không ghi {path}: đó là liên kết tới một thiết bị hoặc ống dẫn (dùng -o - để ghi ra đầu ra chuẩn).",
        "en": "Not writing {path}: it is a link to a device or pipe (use -o - for standard output).",
    },
    # Our own input files (secaudit/inputs.py): {what} is one of the input.what.* labels
    "input.missing": {"vi": "Không tìm thấy {what} {path}.", "en": "Cannot read {what} {path}: it does not exist."},
    "input.not_regular": {
        "vi": "Không đọc {what} {path}: đây không phải tệp thông thường (thiết bị, FIFO hay thư mục).",
        "en": "Cannot read {what} {path}: it is not a regular file (a device, FIFO or directory).",
    },
    "input.too_large": {
        "vi": "Không đọc {what} {path}: tệp lớn hơn giới hạn {cap}.",
        "en": "Cannot read {what} {path}: it is larger than the {cap} limit.",
    },
    "input.unreadable": {"vi": "Không đọc được {what} {path}: {error}.", "en": "Cannot read {what} {path}: {error}."},
    "input.not_utf8": {
        "vi": "Không đọc được {what} {path}: dòng {line} không phải văn bản UTF-8.",
        "en": "Cannot read {what} {path}: line {line} is not UTF-8 text.",
    },
    "input.bad_syntax": {
        "vi": "{what} {path} không phải {format} hợp lệ (dòng {line}: {problem}).",
        "en": "{what} {path} is not valid {format} (line {line}: {problem}).",
    },
    "input.too_deep": {
        "vi": "{what} {path} lồng nhau quá sâu (hơn {limit} cấp).",
        "en": "{what} {path} is nested too deeply (more than {limit} levels).",
    },
    "input.field": {
        "vi": "{what} {path}, trường '{field}': {problem}.",
        "en": "{what} {path}, field '{field}': {problem}.",
    },
    "input.corrupt_kept": {
        "vi": "{what} {path} bị hỏng ({problem}); tệp được giữ nguyên: hãy kiểm tra hoặc chuyển nó đi rồi chạy lại.",
        "en": "{what} {path} is corrupt ({problem}); it was left untouched: inspect or move it away, then run again.",
    },
    "input.what.config": {"vi": "tệp cấu hình", "en": "config file"},
    "input.what.playbook": {"vi": "bộ yêu cầu", "en": "playbook"},
    "input.what.hosts": {"vi": "tệp danh sách máy", "en": "hosts file"},
    "input.what.state": {"vi": "tệp trạng thái", "en": "state file"},
    "input.what.snapshot": {"vi": "ảnh chụp dữ kiện", "en": "facts snapshot"},
    "input.what.known": {"vi": "tệp thiết bị đã biết", "en": "known-devices file"},
    "input.what.recording": {"vi": "bản ghi", "en": "recording"},
    "input.what.report": {"vi": "báo cáo của máy", "en": "agent report"},
    "input.what.nmap": {"vi": "tệp dữ liệu nmap", "en": "nmap data file"},
    "input.what.units": {"vi": "tệp đơn vị", "en": "units file"},
    "input.what.enroll_request": {"vi": "tệp yêu cầu đăng ký", "en": "enrollment request file"},
    "input.what.envelope": {"vi": "phong bì báo cáo đã ký", "en": "signed report envelope"},
    "input.what.attestations": {"vi": "tệp câu trả lời tự xác nhận đã lưu", "en": "stored attestation answers"},
    "input.what.answers file": {"vi": "tệp trả lời", "en": "answers file"},
    "playbooks.valid": {"vi": "Hợp lệ: {path} ({n} yêu cầu).", "en": "Valid: {path} ({n} requirements)."},
    "facts.written": {"vi": "Đã ghi ảnh chụp dữ kiện: {path}", "en": "Facts snapshot written: {path}"},
    "facts.recorded": {"vi": "Đã ghi bản ghi các probe Windows: {path}",
                       "en": "Windows probe recording written: {path}"},
    "sign.written": {"vi": "Đã ký và ghi báo cáo: {path}", "en": "Signed report written: {path}"},
    "sign.skipped": {"vi": "Không ký báo cáo: {reason}", "en": "Report not signed: {reason}"},
    "sign.no_key": {
        "vi": "Chưa có khóa để ký; hãy chạy: secaudit keys init.",
        "en": "No signing key; run: secaudit keys init.",
    },
    "cadence": {"vi": "Kỳ báo cáo", "en": "Reporting cadence"},
    # attestations (secaudit attest; the report's own section: secaudit/report/attestations.py)
    "attest.section": {"vi": "Tự xác nhận của đơn vị (không do máy kiểm tra)",
                       "en": "The unit's own attestations (not checked by the machine)"},
    "attest.status.attested": {"vi": "Đã trả lời", "en": "Answered"},
    "attest.status.expired": {"vi": "Đã hết hạn", "en": "Expired"},
    "attest.status.unanswered": {"vi": "Chưa trả lời", "en": "Not answered"},
    "attest.answer.yes": {"vi": "Có", "en": "Yes"},
    "attest.answer.no": {"vi": "Không", "en": "No"},
    "attest.by": {"vi": "{who}, lúc {when}, hết hạn {until}", "en": "{who}, at {when}, expires {until}"},
    "attest.document": {"vi": "Văn bản: {document}", "en": "Document: {document}"},
    "attest.hint": {"vi": "Trả lời bằng: secaudit attest", "en": "Answer with: secaudit attest"},
    "attest.none": {"vi": "Bộ yêu cầu {playbook} không có câu hỏi tự xác nhận.",
                    "en": "The playbook {playbook} has no attestation questions."},
    "attest.who": {"vi": "Họ tên và chức vụ người trả lời", "en": "Name and position of the person answering"},
    "attest.prompt": {"vi": "Trả lời (c = có, k = không, Enter = bỏ qua)",
                      "en": "Answer (y = yes, n = no, Enter = skip)"},
    "attest.prompt_document": {"vi": "Số, ngày văn bản làm minh chứng (Enter = không có)",
                               "en": "Number and date of the supporting document (Enter = none)"},
    "attest.invalid": {"vi": "Hãy trả lời c (có) hoặc k (không).", "en": "Please answer y (yes) or n (no)."},
    "attest.saved": {"vi": "Đã lưu {n} câu trả lời vào {path}; có hiệu lực đến {until}.",
                     "en": "Saved {n} answers in {path}; valid until {until}."},
    "attest.nothing": {"vi": "Không có câu trả lời nào được lưu.", "en": "No answer was saved."},
    "coverage.plan": {"vi": "Kế hoạch", "en": "Plan"},
    "coverage.evidenced": {"vi": "Có minh chứng: {n}/{total} yêu cầu của danh mục",
                           "en": "Evidenced: {n}/{total} catalogue requirements"},
    "coverage.uncovered": {"vi": "Chưa có minh chứng", "en": "Not evidenced"},
    "coverage.checks": {"vi": "kiểm tra", "en": "checks"},
    "coverage.attestations": {"vi": "tự xác nhận", "en": "attestations"},
    # secaudit backup verify (secaudit/commands/backup.py)
    "backup.no_sets": {
        "vi": "Chưa khai báo bộ sao lưu nào ([[backup]] trong {path}).",
        "en": "No backup set is declared ([[backup]] in {path}).",
    },
    "backup.budget": {"vi": "Ngân sách --budget không hợp lệ: {error}.", "en": "Invalid --budget: {error}."},
    "backup.busy": {
        "vi": "Một lệnh secaudit backup verify khác đang chạy (khóa {lock}).",
        "en": "Another secaudit backup verify is running (lock {lock}).",
    },
    "backup.state": {
        "vi": "Không ghi được trạng thái kiểm tra sao lưu: {error}.",
        "en": "Cannot write the backup verification state: {error}.",
    },
    "backup.warning": {"vi": "Cảnh báo: {text}", "en": "Warning: {text}"},
    "backup.header": {"vi": "Kiểm tra sao lưu (ngân sách: {budget})", "en": "Backup verification (budget: {budget})"},
    "backup.set": {
        "vi": "  {name} [{kind}]: đã kiểm tra {verified} trong {seconds} giây; phủ {covered} của {total}; kiểm tra "
              "đầy đủ gần nhất: {full}; lỗi: {errors}",
        "en": "  {name} [{kind}]: verified {verified} in {seconds} s; covered {covered} of {total}; last fully "
              "verified: {full}; problems: {errors}",
    },
    "backup.files": {
        "vi": "    tệp: kiểm tra {verified} tệp lần này; phủ {covered} của {total} tệp",
        "en": "    files: {verified} verified this run; {covered} of {total} files covered",
    },
    "backup.unlisted": {
        "vi": "    chưa liệt kê hết: dừng sau {entries} mục (giới hạn {limit}), {unlisted} thư mục không đọc được; "
              "phần chưa liệt kê không được kiểm tra",
        "en": "    not fully listed: stopped after {entries} entries (limit {limit}), {unlisted} folders unreadable; "
              "what was not listed was not verified",
    },
    "backup.set_error": {"vi": "  {name} [{kind}]: {detail}", "en": "  {name} [{kind}]: {detail}"},
    "backup.drill": {
        "vi": "    khôi phục thử ({method}): {restored} tệp, so sánh {compared}, khác {mismatches}",
        "en": "    restore drill ({method}): {restored} files, {compared} compared, {mismatches} differ",
    },
    "backup.offsite": {"vi": "    bản ở nơi khác {location}: {state}", "en": "    off-site copy {location}: {state}"},
    "backup.never": {"vi": "chưa có", "en": "never"},
    "backup.unlimited": {"vi": "không giới hạn", "en": "unlimited"},
    "backup.offsite_ok": {"vi": "có, mới nhất {when}", "en": "present, newest {when}"},
    # secaudit keys init|show|rotate and secaudit verify (secaudit/commands/keys.py); the report's unit, host,
    # playbook and score labels are report.unit, report.host, report.playbook and report.score
    "sign.valid": {
        "vi": "HỢP LỆ: chữ ký đúng, nội dung không bị thay đổi kể từ khi ký.",
        "en": "VALID: the signature is correct; the content has not changed since it was signed.",
    },
    "sign.note": {
        "vi": "(Chữ ký chứng minh nguồn gốc và sự nguyên vẹn; nội dung do máy được kiểm tra tự khai.)",
        "en": "(A signature proves origin and integrity; the content is what the audited machine reported.)",
    },
    "sign.signer": {"vi": "Khóa ký", "en": "Signed by key"},
    "sign.fingerprint": {"vi": "Dấu vân tay khóa", "en": "Key fingerprint"},
    "sign.pubfile": {"vi": "Tệp khóa công khai", "en": "Public key file"},
    "sign.generated": {"vi": "Thời điểm lập", "en": "Generated at"},
    "sign.agent": {"vi": "Mã tác tử", "en": "Agent id"},
    "sign.report": {"vi": "Mã báo cáo / số thứ tự", "en": "Report id / sequence"},
    "sign.summary": {"vi": "Kết quả", "en": "Results"},
    "sign.failing": {"vi": "Không đạt (theo mức độ)", "en": "Failing (by severity)"},
    "sign.rotation": {"vi": "Tuyên bố thay khóa", "en": "Key rotation statement"},
    "sign.old_key": {"vi": "Khóa cũ", "en": "Old key"},
    "sign.new_key": {"vi": "Khóa mới", "en": "New key"},
    "sign.rotated_at": {"vi": "Thời điểm thay", "en": "Rotated at"},
    "sign.signers": {"vi": "Đã ký bởi", "en": "Signed by"},
    "sign.old_signed": {"vi": "có chữ ký của khóa cũ", "en": "signed by the old key"},
    "sign.old_missing": {
        "vi": "THIẾU chữ ký của khóa cũ: không chứng minh được việc thay khóa",
        "en": "NOT signed by the old key: the rotation is not proven",
    },
    "sign.key_dir": {"vi": "Thư mục khóa", "en": "Key directory"},
    "sign.key_id": {"vi": "Mã khóa (key id)", "en": "Key id"},
    "sign.protected": {"vi": "Khóa bí mật", "en": "Private key"},
    "sign.with_pass": {"vi": "có mật khẩu bảo vệ", "en": "protected by a passphrase"},
    "sign.no_pass": {"vi": "không có mật khẩu bảo vệ", "en": "not protected by a passphrase"},
    "sign.missing": {"vi": "không tìm thấy", "en": "not found"},
    "sign.retired": {
        "vi": "Khóa cũ (đã thay, vẫn dùng để kiểm tra báo cáo cũ)",
        "en": "Retired keys (still used to verify old reports)",
    },
    "sign.created": {"vi": "Đã tạo khóa ký báo cáo.", "en": "Report signing key created."},
    "sign.phone": {
        "vi": "Hãy đọc dấu vân tay này cho cán bộ Phòng/Sở GDĐT để xác nhận khóa của máy.",
        "en": "Read this fingerprint to the education office's officer to confirm this machine's key.",
    },
    "sign.rotated": {"vi": "Đã thay khóa ký báo cáo.", "en": "Report signing key rotated."},
    "sign.statement": {
        "vi": "Tuyên bố thay khóa (ký bằng khóa cũ và khóa mới)",
        "en": "Rotation statement (signed by the old and the new key)",
    },
    "sign.kept": {"vi": "Khóa công khai cũ được giữ tại", "en": "Old public key kept at"},
    "sign.no_pubkey": {
        "vi": "Không tìm thấy khóa công khai nào trong {dir}; hãy chỉ định --pubkey.",
        "en": "No public key found in {dir}; give --pubkey.",
    },
    # secaudit render (secaudit/commands/render.py)
    "render.verified": {"vi": "Chữ ký hợp lệ: {path} (khóa {keyid}).", "en": "Signature valid: {path} (key {keyid})."},
    "render.written": {"vi": "Đã ghi: {path}", "en": "Written: {path}"},
    "render.older": {
        "vi": "Bỏ qua {path}: đã dùng báo cáo mới nhất của cùng máy ({host}).",
        "en": "Skipped {path}: the newest report of the same host ({host}) is used.",
    },
    # secaudit scan (secaudit/commands/scan.py)
    "scan.plan": {"vi": "Sẽ quét:", "en": "Will scan:"},
    "scan.addresses": {"vi": "địa chỉ", "en": "addresses"},
    "scan.outside": {
        "vi": "ngoài các dải mạng của đơn vị trong cấu hình — quét vì được ghi rõ trên dòng lệnh",
        "en": "outside the unit's configured subnets — scanned because given on the command line",
    },
    "scan.arp": {"vi": "phát hiện máy: ARP qua {iface}", "en": "discovery: ARP on {iface}"},
    "scan.nmap_root": {
        "vi": "phát hiện máy: nmap (ICMP echo, TCP SYN 22,80,443,445,3389, TCP ACK 80)",
        "en": "discovery: nmap (ICMP echo, TCP SYN 22,80,443,445,3389, TCP ACK 80)",
    },
    "scan.nmap_user": {
        "vi": "phát hiện máy: nmap (kết nối TCP 22,80,443,445,3389; không phải root nên không dùng được ARP/ICMP, máy "
              "chặn mọi gói tin sẽ không được thấy)",
        "en": "discovery: nmap (TCP connect 22,80,443,445,3389; not root, so no ARP/ICMP: hosts that drop everything "
              "will not be seen)",
    },
    "scan.ports": {
        "vi": "Cổng: {label} — {n} cổng TCP · kiểu quét: {method} · nhận diện dịch vụ (-sV): {sv}",
        "en": "Ports: {label} — {n} TCP ports · scan type: {method} · service detection (-sV): {sv}",
    },
    "scan.syn": {"vi": "SYN (root)", "en": "SYN (root)"},
    "scan.connect": {"vi": "kết nối TCP (không phải root)", "en": "TCP connect (not root)"},
    "scan.yes": {"vi": "có", "en": "yes"},
    "scan.no": {"vi": "không", "en": "no"},
    "scan.self": {
        "vi": "Không quét chính máy này ({ips}): hãy kiểm tra nó bằng secaudit audit.",
        "en": "This machine ({ips}) is not scanned: audit it with secaudit audit.",
    },
    "scan.only_self": {
        "vi": "chỉ gồm địa chỉ của chính máy này: không quét",
        "en": "only this machine's own addresses: not scanned",
    },
    "scan.phase_arp": {"vi": "Quét ARP {net}…", "en": "ARP sweep of {net}…"},
    "scan.arp_failed": {
        "vi": "Không quét ARP được trên {iface} ({why}); chuyển sang nmap.",
        "en": "ARP sweep on {iface} failed ({why}); falling back to nmap.",
    },
    "scan.phase_ping": {
        "vi": "Tìm máy đang hoạt động trong {net} (nmap)…",
        "en": "Finding live hosts in {net} (nmap)…",
    },
    "scan.phase_ports": {"vi": "Quét cổng {n} máy (nmap)…", "en": "Scanning ports of {n} hosts (nmap)…"},
    "scan.done": {
        "vi": "Xong sau {s} giây: {n} thiết bị, {p} cổng mở.",
        "en": "Done in {s} s: {n} devices, {p} open ports.",
    },
    "scan.proxy_arp": {
        "vi": "Cảnh báo: địa chỉ MAC {mac} trả lời cho {n} địa chỉ IP — có thể là router bật proxy ARP, "
              "không phải {n} thiết bị.",
        "en": "Warning: MAC {mac} answered for {n} IP addresses — probably a router doing proxy ARP, "
              "not {n} devices.",
    },
    "scan.timeouts": {
        "vi": "Quá thời gian quét cổng (--host-timeout) ở: {ips}.",
        "en": "Port scan timed out (--host-timeout) on: {ips}.",
    },
    "scan.devices": {"vi": "Thiết bị tìm thấy", "en": "Devices found"},
    "scan.col_ip": {"vi": "IP", "en": "IP"},
    "scan.col_mac": {"vi": "MAC", "en": "MAC"},
    "scan.col_vendor": {"vi": "Nhà sản xuất", "en": "Vendor"},
    "scan.col_names": {"vi": "Tên", "en": "Names"},
    "scan.col_ports": {"vi": "Cổng mở", "en": "Open ports"},
    "scan.col_first": {"vi": "Thấy lần đầu", "en": "First seen"},
    # secaudit audit --host/--hosts (secaudit/commands/remote.py)
    "remote.start": {
        "vi": "Kiểm tra {n} máy qua SSH, {parallel} máy cùng lúc…",
        "en": "Auditing {n} host(s) over SSH, {parallel} at a time…",
    },
    "remote.host_key_recorded": {
        "vi": "Đã ghi khóa máy chủ mới của {target} ({host_key}) vào {path}.",
        "en": "Recorded the new host key of {target} ({host_key}) in {path}.",
    },
    "remote.host_result": {"vi": "điểm {score}/100, {fail} không đạt", "en": "score {score}/100, {fail} fail"},
    "remote.summary_written": {"vi": "Đã ghi bảng tổng hợp: {path}", "en": "Summary written: {path}"},
    # secaudit schedule (secaudit/commands/schedule.py, secaudit/agent/schedule.py)
    "schedule.will_install": {
        "vi": "Sẽ cài lịch kiểm tra định kỳ ({backend}), chạy: {runs}.",
        "en": "Will install the audit schedule ({backend}), running: {runs}.",
    },
    "schedule.from_playbook": {
        "vi": "Lịch theo kỳ báo cáo của bộ yêu cầu {playbook} ({due}): chạy trước mỗi hạn {days} ngày.",
        "en": "Timed by the reporting cadence of playbook {playbook} ({due}): a run {days} days before each due date.",
    },
    "schedule.from_every": {"vi": "Lịch theo --every {every}.", "en": "Timed by --every {every}."},
    "schedule.will_remove": {"vi": "Sẽ gỡ lịch kiểm tra định kỳ:", "en": "Will remove the audit schedule:"},
    "schedule.step_mkdir": {"vi": "  tạo thư mục {path} (nếu chưa có)",
                            "en": "  create the folder {path} (if missing)"},
    "schedule.step_write": {"vi": "  ghi {path}:", "en": "  write {path}:"},
    "schedule.step_link": {"vi": "  tạo liên kết {path} -> {target}", "en": "  link {path} -> {target}"},
    "schedule.step_delete": {"vi": "  xóa {path}", "en": "  delete {path}"},
    "schedule.step_rmdir": {"vi": "  xóa thư mục {path} nếu trống", "en": "  delete the folder {path} if empty"},
    "schedule.step_run": {"vi": "  chạy: {command}", "en": "  run: {command}"},
    "schedule.step_task": {
        "vi": "  đăng ký tác vụ (chạy với quyền SYSTEM): {command}, nội dung tệp:",
        "en": "  register the task (runs as SYSTEM): {command}, with this file:",
    },
    "schedule.dry_run": {"vi": "Chạy thử (--dry-run): chưa thay đổi gì.",
                         "en": "Dry run (--dry-run): nothing was changed."},
    "schedule.installed": {
        "vi": "Đã cài lịch kiểm tra định kỳ. Báo cáo được ghi vào {reports}.",
        "en": "The audit schedule is installed. Reports are written to {reports}.",
    },
    "schedule.removed": {
        "vi": "Đã gỡ lịch kiểm tra định kỳ. Báo cáo, trạng thái, khóa và cấu hình vẫn được giữ nguyên.",
        "en": "The audit schedule is removed. Reports, state, keys and config are kept.",
    },
    "schedule.nothing": {"vi": "Chưa cài lịch kiểm tra định kỳ nào.", "en": "No audit schedule is installed."},
    "schedule.no_key": {
        "vi": "Lưu ý: chưa có khóa ký trong {path}, nên các báo cáo định kỳ sẽ không được ký và không gửi được; "
              "hãy chạy `secaudit keys init`.",
        "en": "Note: there is no signing key in {path}, so the scheduled reports will be neither signed nor sent; "
              "run `secaudit keys init`.",
    },
    "schedule.bad_every": {
        "vi": "Giá trị --every '{value}' không hợp lệ; dùng một trong: {allowed}.",
        "en": "--every '{value}' is not valid; use one of: {allowed}.",
    },
    "schedule.bad_at": {
        "vi": "Giá trị --at '{value}' không hợp lệ; dùng giờ:phút, ví dụ 09:30.",
        "en": "--at '{value}' is not valid; use hour:minute, e.g. 09:30.",
    },
    "schedule.no_cadence": {
        "vi": "Bộ yêu cầu {playbook} không có kỳ báo cáo (cadence); hãy chọn tần suất bằng --every.",
        "en": "Playbook {playbook} has no reporting cadence; choose how often with --every.",
    },
    "schedule.no_due": {
        "vi": "Kỳ báo cáo '{kind}' của bộ yêu cầu {playbook} không có hạn nộp cụ thể; hãy chọn tần suất bằng --every.",
        "en": "The '{kind}' cadence of playbook {playbook} gives no due date; choose how often with --every.",
    },
    "schedule.all_past": {
        "vi": "Mọi hạn báo cáo của bộ yêu cầu {playbook} đều đã qua; hãy chọn tần suất bằng --every.",
        "en": "Every due date of playbook {playbook} has passed; choose how often with --every.",
    },
    "schedule.bad_path": {
        "vi": "Không thể lập lịch với đường dẫn '{path}' vì nó chứa ký tự điều khiển.",
        "en": "Cannot schedule with the path '{path}': it holds a control character.",
    },
    "schedule.wrong_os": {
        "vi": "Máy này không có {backend}; dùng --dry-run để xem những gì sẽ được cài.",
        "en": "This machine has no {backend}; use --dry-run to see what would be installed.",
    },
    "schedule.root_windows": {
        "vi": "Trên Windows, --root không dùng được: tác vụ được đăng ký thẳng với Task Scheduler.",
        "en": "--root cannot be used on Windows: the task is registered with Task Scheduler itself.",
    },
    "schedule.no_scheduler_root": {
        "vi": "Trong {root} không có etc/systemd/system hay etc/cron.d để cài lịch.",
        "en": "{root} has neither etc/systemd/system nor etc/cron.d to install a schedule in.",
    },
    "schedule.no_scheduler": {
        "vi": "Máy này không chạy systemd và không có cron, nên không có gì khởi chạy lịch kiểm tra.",
        "en": "This machine runs neither systemd nor cron, so nothing would start a scheduled audit.",
    },
    "schedule.need_root": {
        "vi": "Cần quyền root để cài hoặc gỡ lịch kiểm tra cho cả máy (chạy lại với sudo).",
        "en": "Installing or removing the machine's audit schedule needs root (run it again with sudo).",
    },
    "schedule.command_failed": {
        "vi": "Lệnh '{command}' thất bại: {reason}.",
        "en": "The command '{command}' failed: {reason}.",
    },
    "schedule.write_failed": {
        "vi": "Không thay đổi được {path}: {reason}.",
        "en": "Cannot change {path}: {reason}.",
    },
    # secaudit enroll (commands/enroll.py)
    "enroll.key_created": {"vi": "Đã tạo khóa ký mới trong {dir}.", "en": "A new signing key was created in {dir}."},
    "enroll.enrolled": {"vi": "Đã đăng ký máy này với collector {url}.", "en": "This machine is enrolled with {url}."},
    "enroll.imported": {"vi": "Đã lưu trả lời đăng ký từ {path}.",
                        "en": "The enrollment answer from {path} is stored."},
    "enroll.unit": {"vi": "Đơn vị", "en": "Unit"},
    "enroll.agent": {"vi": "Mã tác tử", "en": "Agent id"},
    "enroll.key": {"vi": "Khóa", "en": "Key"},
    "enroll.fingerprint": {"vi": "Dấu vân tay khóa", "en": "Key fingerprint"},
    "enroll.status": {"vi": "Trạng thái", "en": "Status"},
    "enroll.receipt_key": {"vi": "Khóa ký biên nhận", "en": "Receipt key"},
    "enroll.stored": {"vi": "Lưu tại", "en": "Stored in"},
    "enroll.request": {
        "vi": "Đã ghi yêu cầu đăng ký: {out}. Mang tệp này tới collector (chạy `secaudit collector enroll-import "
              "{out} --out TRA-LOI.json`), rồi mang tệp trả lời về và chạy `secaudit enroll --response TRA-LOI.json`.",
        "en": "The enrollment request is written: {out}. Take it to the collector (run `secaudit collector "
              "enroll-import {out} --out RESPONSE.json`), bring the response back and run "
              "`secaudit enroll --response RESPONSE.json`.",
    },
    "enroll.phone": {"vi": "Đọc dấu vân tay này cho cán bộ phụ trách qua điện thoại nếu được hỏi.",
                     "en": "Read this fingerprint to the officer over the phone if asked."},
    "enroll.unit_differs": {
        "vi": "Lưu ý: cấu hình ghi đơn vị {config}, còn collector xếp máy này vào đơn vị {unit}; collector luôn dùng "
              "đơn vị đã đăng ký.",
        "en": "Note: the config names the unit {config}, the collector put this machine in {unit}; the collector "
              "always uses the enrolled unit.",
    },
    # a stored receipt checked by secaudit verify (commands/keys.py)
    "receipt.valid": {"vi": "Biên nhận hợp lệ: do collector ký và không bị sửa đổi.",
                      "en": "Valid receipt: signed by the collector and not changed."},
    "receipt.signer": {"vi": "Khóa ký của collector", "en": "Collector key"},
    "receipt.source": {"vi": "Nguồn khóa", "en": "Key from"},
    "receipt.pinned": {"vi": "khóa đã ghim khi đăng ký ({path})", "en": "the key pinned at enrollment ({path})"},
    "receipt.log_index": {"vi": "Số thứ tự trong sổ", "en": "Log index"},
    "receipt.report_id": {"vi": "Mã báo cáo", "en": "Report id"},
    "receipt.sha256": {"vi": "SHA-256 báo cáo", "en": "Envelope SHA-256"},
    "receipt.received_at": {"vi": "Nhận lúc", "en": "Received at"},
    "receipt.agent": {"vi": "Mã tác tử", "en": "Agent id"},
    "receipt.verdict": {"vi": "Kết quả", "en": "Verdict"},
    "receipt.envelope": {"vi": "Tệp báo cáo", "en": "Report file"},
    "receipt.matches": {"vi": "{path} (đúng SHA-256)", "en": "{path} (SHA-256 matches)"},
    "receipt.absent": {"vi": "không có bên cạnh biên nhận; chưa đối chiếu",
                       "en": "not beside the receipt; not checked"},
    "receipt.no_key": {
        "vi": "Chưa có khóa của collector để kiểm tra biên nhận {file}: máy này chưa ghim khóa khi đăng ký; hãy chỉ "
              "ra khóa bằng --pubkey (lấy từ `secaudit collector receipts keys`).",
        "en": "No collector key to check the receipt {file} with: this machine pinned none at enrollment; give it "
              "with --pubkey (from `secaudit collector receipts keys`).",
    },
}
