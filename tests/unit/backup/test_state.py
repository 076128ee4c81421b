"""The verification state file: atomic, private, tolerant of damage, one writer at a time."""

from __future__ import annotations

import json
import stat

import pytest

from secaudit.backup import state as st
from secaudit.config import AgentConfig


def test_round_trip_is_private_and_atomic(tmp_path):
    path = st.state_path(AgentConfig(state_dir=str(tmp_path / "s")))
    data = st.empty()
    st.set_entry(data, "CSDL")["fully_verified_at"] = 123
    st.save(path, data)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(path.parent.glob(".*.tmp"))
    loaded, warning = st.load(path)
    assert warning is None and loaded["sets"]["CSDL"]["fully_verified_at"] == 123


@pytest.mark.parametrize("text", ["{not json", "[]", json.dumps({"schema": "other", "sets": {}}),
                                  json.dumps({"schema": st.SCHEMA, "sets": {"a": 5}})])
def test_corrupt_file_is_set_aside_with_a_clear_message(tmp_path, text):
    path = tmp_path / st.FILENAME
    path.write_text(text, encoding="utf-8")
    data, warning = st.load(path)
    assert data == st.empty()
    assert warning and str(path) in warning and "afresh" in warning
    aside = list(tmp_path.glob(st.FILENAME + ".corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text(encoding="utf-8") == text
    assert not path.exists()


def test_missing_file_is_an_empty_state(tmp_path):
    assert st.load(tmp_path / "none.json") == (st.empty(), None)


def test_second_verifier_is_refused(tmp_path):
    path = tmp_path / st.FILENAME
    with st.locked(path), pytest.raises(st.StateBusy), st.locked(path):
        pass
    with st.locked(path):  # released
        pass
