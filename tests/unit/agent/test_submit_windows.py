"""`secaudit submit` in a process that looks like Windows (tests/unit/winsim.py: no fcntl, sys.platform win32,
msvcrt.locking): the outbox is claimed with fsutil.lock's Windows branch, sent, receipted and moved to sent/.
Windows cannot run here; that an open file cannot be deleted there is shown in test_a_claimed_envelope_is_
deleted_once_closed_on_windows."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from secaudit.agent import outbox
from secaudit.errors import SecauditError
from tests.unit import winsim
from tests.unit.agent.conftest import Agent
from tests.unit.agent.fake_collector import FakeCollector

REAL_PLATFORM = sys.platform


def test_submit_sends_the_outbox(enrolled: Agent, collector: FakeCollector, tmp_path: Path) -> None:
    paths = [enrolled.envelope() for _ in range(2)]
    config = tmp_path / "secaudit.toml"
    config.write_text(f'state_dir = "{enrolled.config.state_dir}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECAUDIT_")}
    env["SECAUDIT_KEY_DIR"] = enrolled.key_dir
    done = winsim.run(["submit", "--config", str(config), "--retry-for", "0", "--lang", "en"], tmp_path, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert collector.stored() == 2
    sent = outbox.sent_dir(enrolled.config)
    for path in paths:
        assert not path.exists() and (sent / path.name).is_file()


def test_a_claimed_envelope_is_deleted_once_closed_on_windows(enrolled: Agent, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows refuses to delete a file open in any process (ours included): the move then completes when
    claim() closes it."""
    path = enrolled.envelope()
    real_unlink = Path.unlink
    held: set[Path] = set()

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self in held:
            raise PermissionError(13, "The process cannot access the file because it is being used")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    with outbox.claim(path) as claimed:  # locked with flock, as on this machine
        assert claimed is not None
        held.add(path)
        monkeypatch.setattr(sys, "platform", "win32")
        outbox.store_receipt(enrolled.config, claimed, b'{"report_id": "x"}', move=True)
        monkeypatch.setattr(sys, "platform", REAL_PLATFORM)
        assert path.exists() and claimed.unlink_on_close
        held.clear()
    assert not path.exists()
    assert (outbox.sent_dir(enrolled.config) / path.name).read_bytes() == claimed.data


def test_on_linux_a_refused_delete_is_an_error(enrolled: Agent, monkeypatch: pytest.MonkeyPatch) -> None:
    path = enrolled.envelope()

    def unlink(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError(13, "Permission denied")

    with outbox.claim(path) as claimed:
        assert claimed is not None
        monkeypatch.setattr(Path, "unlink", unlink)
        with pytest.raises(SecauditError, match="receipt could not be stored"):
            outbox.store_receipt(enrolled.config, claimed, b'{"report_id": "x"}', move=True)
        monkeypatch.undo()
    assert path.exists()
