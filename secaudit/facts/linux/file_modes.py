"""Modes and owners of the account databases and sudoers."""

from __future__ import annotations

import stat

from secaudit.facts.context import FactContext
from secaudit.facts.linux.etcfiles import gid_names, uid_names
from secaudit.facts.model import FileModeRow
from secaudit.facts.registry import collector
from secaudit.transport.base import FactUnavailable

WATCHED = ("/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/sudoers",
           "/etc/sudoers.d", "/etc/ssh/sshd_config")


@collector("file_modes", ("file_modes",))
def collect_file_modes(ctx: FactContext) -> None:
    users, grps = uid_names(ctx), gid_names(ctx)
    rows: list[FileModeRow] = []
    for path in WATCHED:
        try:
            st = ctx.transport.stat(path)
        except FactUnavailable as exc:
            if exc.code != "not_found":
                ctx.unknown(f"file_modes:{path}", exc.code, exc.detail)
            continue
        rows.append({
            "path": path,
            "mode": f"{stat.S_IMODE(st.mode):04o}",
            "uid": st.uid,
            "gid": st.gid,
            "owner": users.get(st.uid, str(st.uid)),
            "group": grps.get(st.gid, str(st.gid)),
        })
    ctx.put("file_modes", rows)
