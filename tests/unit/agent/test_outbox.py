"""secaudit.agent.outbox and state.queue_envelope: what waits, the claim lock, and the receipt written
before anything leaves the outbox."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from pathlib import Path

import pytest

from secaudit.agent import outbox
from secaudit.errors import SecauditError
from secaudit.state import queue_envelope
from tests.unit.agent.conftest import Agent


def _receipt(data: bytes) -> bytes:
    return json.dumps({"schema": "secaudit.receipt/v1", "envelope_sha256": hashlib.sha256(data).hexdigest(),
                       "report_id": "r1", "status": "accepted"}).encode()


def test_queue_copies_and_never_overwrites(agent: Agent, tmp_path: Path) -> None:
    signed = agent.envelope(tmp_path / "out", queue=False)
    first = queue_envelope(agent.config, signed)
    second = queue_envelope(agent.config, signed)
    assert first.parent == agent.outbox and first.name == signed.name
    assert second.name == signed.name.replace(".secaudit.json", "-2.secaudit.json")
    assert first.read_bytes() == second.read_bytes() == signed.read_bytes()
    assert oct(first.stat().st_mode & 0o777) == "0o600"
    assert queue_envelope(agent.config, first) == first  # already in the outbox: left alone


def test_queue_failure_is_one_sentence(agent: Agent, tmp_path: Path) -> None:
    signed = agent.envelope(tmp_path / "out", queue=False)
    Path(agent.config.state_dir).mkdir(parents=True)
    (Path(agent.config.state_dir) / "outbox").write_text("not a directory")
    with pytest.raises(SecauditError) as err:
        queue_envelope(agent.config, signed)
    assert err.value.en.startswith("Cannot put the signed report in the outbox")


def test_pending_oldest_first_and_only_envelopes(agent: Agent) -> None:
    paths = [agent.envelope() for _ in range(3)]
    for i, path in enumerate(paths):
        os.utime(path, (1000 + 10 * (3 - i), 1000 + 10 * (3 - i)))  # the last one is the oldest
    (agent.outbox / "notes.txt").write_text("x")
    (agent.outbox / ".tmp.secaudit.json").write_text("x")
    (agent.outbox / "dir.secaudit.json").mkdir()
    (agent.outbox / "link.secaudit.json").symlink_to(paths[0])
    assert outbox.pending(agent.config) == list(reversed(paths))


def test_pending_without_an_outbox(agent: Agent) -> None:
    assert outbox.pending(agent.config) == []


def test_claim_is_exclusive(agent: Agent) -> None:
    path = agent.envelope()
    with open(path, "rb") as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another submit holds it
        with outbox.claim(path) as claimed:
            assert claimed is None
    with outbox.claim(path) as claimed:
        assert claimed is not None and claimed.data == path.read_bytes()


def test_claim_refuses_symlinks_and_directories(agent: Agent, tmp_path: Path) -> None:
    target = agent.envelope()
    (tmp_path / "l.secaudit.json").symlink_to(target)
    with pytest.raises(outbox.Unreadable, match="symbolic link"), outbox.claim(tmp_path / "l.secaudit.json"):
        pass
    with outbox.claim(tmp_path / "missing.secaudit.json") as claimed:
        assert claimed is None


def test_store_receipt_moves_after_the_receipt(agent: Agent) -> None:
    path = agent.envelope()
    data = path.read_bytes()
    with outbox.claim(path) as claimed:
        assert claimed is not None
        receipt = outbox.store_receipt(agent.config, claimed, _receipt(data), move=True)
    sent = outbox.sent_dir(agent.config)
    assert receipt == sent / (path.name + ".receipt.json")
    assert (sent / path.name).read_bytes() == data
    assert not path.exists()


def test_store_receipt_copy_keeps_the_named_file(agent: Agent, tmp_path: Path) -> None:
    path = agent.envelope(tmp_path / "usb", queue=False)
    with outbox.claim(path) as claimed:
        assert claimed is not None
        outbox.store_receipt(agent.config, claimed, _receipt(claimed.data), move=False)
    assert path.exists() and (outbox.sent_dir(agent.config) / path.name).exists()


def test_a_crash_between_receipt_and_move_completes_later(agent: Agent) -> None:
    """The receipt and the envelope are in sent/ but the outbox copy was not unlinked: storing the same
    receipt again finishes the move without a second copy."""
    path = agent.envelope()
    data = path.read_bytes()
    sent = outbox.sent_dir(agent.config)
    sent.mkdir(parents=True)
    (sent / path.name).write_bytes(data)
    (sent / (path.name + ".receipt.json")).write_bytes(_receipt(data))
    with outbox.claim(path) as claimed:
        assert claimed is not None
        outbox.store_receipt(agent.config, claimed, _receipt(data), move=True)
    assert not path.exists()
    assert sorted(p.name for p in sent.iterdir()) == [path.name, path.name + ".receipt.json"]


def test_same_name_other_bytes_gets_another_name(agent: Agent) -> None:
    path = agent.envelope()
    sent = outbox.sent_dir(agent.config)
    sent.mkdir(parents=True)
    (sent / path.name).write_bytes(b"an older report of the same name")
    with outbox.claim(path) as claimed:
        assert claimed is not None
        receipt = outbox.store_receipt(agent.config, claimed, _receipt(claimed.data), move=True)
    second = path.name.replace(".secaudit.json", "-2.secaudit.json")
    assert receipt.name == second + ".receipt.json"
    assert (sent / second).exists() and (sent / path.name).read_bytes() == b"an older report of the same name"


def test_unwritable_sent_dir_keeps_the_envelope(agent: Agent) -> None:
    path = agent.envelope()
    (Path(agent.config.state_dir) / "sent").write_text("not a directory")
    with outbox.claim(path) as claimed:
        assert claimed is not None
        with pytest.raises(SecauditError) as err:
            outbox.store_receipt(agent.config, claimed, _receipt(claimed.data), move=True)
    assert "stays in the outbox" in err.value.en
    assert path.exists()


def test_prune_sent_deletes_old_envelopes_and_keeps_every_receipt(agent: Agent) -> None:
    """A sent envelope goes KEEP_SENT_DAYS after its receipt; the receipt stays; an envelope whose receipt
    names other bytes, or that has no receipt, is never touched."""
    import time

    old, recent = agent.envelope(), agent.envelope()
    for path in (old, recent):
        with outbox.claim(path) as claimed:
            assert claimed is not None
            outbox.store_receipt(agent.config, claimed, _receipt(claimed.data), move=True)
    sent = outbox.sent_dir(agent.config)
    stray = sent / "stray.secaudit.json"  # no receipt
    stray.write_bytes(b"{}")
    lying = sent / "lying.secaudit.json"  # a receipt for other bytes
    lying.write_bytes(b"{}")
    (sent / "lying.secaudit.json.receipt.json").write_bytes(_receipt(b"other"))
    month_ago = time.time() - 31 * 86400
    for name in (old.name, "stray.secaudit.json", "lying.secaudit.json"):
        receipt = sent / (name + ".receipt.json")
        if receipt.exists():
            os.utime(receipt, (month_ago, month_ago))
    assert outbox.prune_sent(agent.config) == 1
    assert not (sent / old.name).exists() and (sent / (old.name + ".receipt.json")).exists()
    assert (sent / recent.name).exists() and stray.exists() and lying.exists()
    assert outbox.prune_sent(agent.config) == 0
    assert outbox.prune_sent(agent.config, now=time.time() + 31 * 86400) == 1  # the recent one, a month on
    assert sorted(p.name for p in sent.iterdir() if p.name.endswith(".receipt.json")) == sorted(
        [old.name + ".receipt.json", recent.name + ".receipt.json", "lying.secaudit.json.receipt.json"])


def test_prune_sent_without_a_sent_directory(agent: Agent) -> None:
    assert outbox.prune_sent(agent.config) == 0
