"""Per-agent persistent state: a stable agent id and the monotonic report sequence."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import IO, Any

from secaudit import inputs, paths
from secaudit.config import AgentConfig
from secaudit.errors import SecauditError
from secaudit.fsutil import lock, replace


def state_dir(config: AgentConfig) -> Path:
    """`state_dir` of the config, else $SECAUDIT_STATE_DIR, else the OS's place (secaudit.paths:
    %ProgramData%\\secaudit\\state on Windows, /var/lib/secaudit as root, else $XDG_STATE_HOME/secaudit)."""
    if config.state_dir:
        return Path(config.state_dir)
    return paths.state_dir()


def lock_exclusive(handle: IO[Any]) -> None:
    """Hold an exclusive lock on an open file until it is closed (fsutil.lock: flock, or msvcrt on Windows)."""
    lock(handle)


def _load(path: Path) -> dict[str, Any]:
    """The stored agent id and sequence; a damaged file stops the run and is never written over
    (the sequence must stay monotonic, so it cannot be guessed)."""
    state = inputs.load_state(path)
    if state is None:
        return {}
    if not isinstance(state, dict):
        raise inputs.corrupt(SecauditError, "state", path, "không phải đối tượng JSON", "not a JSON object")
    agent_id = state.get("agent_id")
    if agent_id is not None and (not isinstance(agent_id, str) or len(agent_id) > 200):
        raise inputs.corrupt(SecauditError, "state", path, "trường 'agent_id' phải là chuỗi",
                             "field 'agent_id' must be a string")
    sequence = state.get("sequence", 0)
    if type(sequence) is not int or sequence < 0:
        raise inputs.corrupt(SecauditError, "state", path, "trường 'sequence' phải là số nguyên không âm",
                             "field 'sequence' must be a non-negative integer")
    return state


def next_sequence(config: AgentConfig) -> tuple[str, int]:
    """Return (agent_id, sequence) with the new sequence durably stored before it is used."""
    directory = state_dir(config)
    path = directory / "state.json"
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(directory / ".lock", "a+") as lock:
            lock_exclusive(lock)
            state = _load(path)
            agent_id = state.get("agent_id") or str(uuid.uuid4())
            sequence = state.get("sequence", 0) + 1
            replace(path, json.dumps({"agent_id": agent_id, "sequence": sequence}).encode(), 0o600, exact=True)
    except OSError as exc:
        raise SecauditError(
            f"Không ghi được trạng thái vào {directory}: {exc.strerror}.",
            f"Cannot write state in {directory}: {exc.strerror}.",
        ) from exc
    return agent_id, sequence


# --- the outbox: signed envelopes waiting for the collector (secaudit.agent.outbox sends them) --------

OUTBOX, SENT = "outbox", "sent"


def outbox_dir(config: AgentConfig) -> Path:
    return state_dir(config) / OUTBOX


def queue_envelope(config: AgentConfig, envelope: Path) -> Path:
    """A copy of a signed envelope in `<state dir>/outbox/` (same name, or -2, -3...; written atomically,
    never overwriting), for `secaudit submit`. Raises SecauditError when it cannot be written."""
    from secaudit import limits
    from secaudit.fsutil import create_unique, read_capped

    directory = outbox_dir(config)
    if envelope.parent.resolve() == directory.resolve():  # signed straight into the outbox (-o there)
        return envelope
    name = envelope.name
    suffix = ".secaudit.json" if name.endswith(".secaudit.json") else envelope.suffix
    try:
        data = read_capped(envelope, limits.ENVELOPE)  # the file signing has just written
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        return create_unique(directory, name[: len(name) - len(suffix)] or "report", suffix, data, mode=0o600)
    except OSError as exc:
        raise SecauditError(
            f"Không đưa được báo cáo đã ký vào hàng đợi gửi {directory}: {exc.strerror}.",
            f"Cannot put the signed report in the outbox {directory}: {exc.strerror}.",
        ) from exc
