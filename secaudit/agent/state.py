"""Per-agent persistent state: a stable agent id and the monotonic report sequence."""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from pathlib import Path

from secaudit.agent.config import AgentConfig
from secaudit.errors import SecauditError
from secaudit.fsutil import replace


def state_dir(config: AgentConfig) -> Path:
    if config.state_dir:
        return Path(config.state_dir)
    if os.environ.get("SECAUDIT_STATE_DIR"):
        return Path(os.environ["SECAUDIT_STATE_DIR"])
    if os.geteuid() == 0:
        return Path("/var/lib/secaudit")
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "secaudit"


def next_sequence(config: AgentConfig) -> tuple[str, int]:
    """Return (agent_id, sequence) with the new sequence durably stored before it is used."""
    directory = state_dir(config)
    path = directory / "state.json"
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(directory / ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(state, dict):
                    raise ValueError("not an object")
            except FileNotFoundError:
                state = {}
            except ValueError as exc:
                raise SecauditError(
                    f"Tệp trạng thái {path} bị hỏng ({exc}); hãy kiểm tra trước khi chạy lại.",
                    f"State file {path} is corrupt ({exc}); inspect it before running again.",
                ) from exc
            agent_id = str(state.get("agent_id") or uuid.uuid4())
            sequence = int(state.get("sequence", 0)) + 1
            replace(path, json.dumps({"agent_id": agent_id, "sequence": sequence}).encode(), 0o600, exact=True)
    except OSError as exc:
        raise SecauditError(
            f"Không ghi được trạng thái vào {directory}: {exc.strerror}.",
            f"Cannot write state in {directory}: {exc.strerror}.",
        ) from exc
    return agent_id, sequence
