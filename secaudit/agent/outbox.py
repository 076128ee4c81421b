"""The agent's outbox: signed envelopes waiting in `<state dir>/outbox/` (put there by the pipeline when it
signs, secaudit.state.queue_envelope) and, once the collector has given a receipt, in `<state dir>/sent/`
as `<name>` beside `<name>.receipt.json` (the school's proof of submission).

Nothing is ever deleted or moved before its receipt is on disk: the receipt is written first (temporary
file, fsync, link, fsync of the directory), then the envelope is linked into sent/ and only then unlinked
from the outbox. A crash in between leaves the envelope in the outbox; the next `submit` sends it again,
the collector answers "duplicate" with the same receipt, and the move completes. Names in sent/ are
decided by content (the envelope's SHA-256), so a repeated move never makes a second copy.

A sent envelope is kept KEEP_SENT_DAYS after its receipt (collector-design §6.6: a collector restored from
a backup may ask for it again), then deleted by `prune_sent`; its receipt, the proof, is kept for good.

Two `submit` runs at once (cron and a person) never send the same file together: each file is claimed
with a non-blocking lock on it, and a file that is gone or replaced once claimed is skipped.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from secaudit import limits
from secaudit.config import AgentConfig
from secaudit.errors import SecauditError
from secaudit.fsutil import Busy, TooLarge, create_new, fsync_dir, lock
from secaudit.sign import ENVELOPE_SUFFIX
from secaudit.state import SENT, outbox_dir, state_dir

RECEIPT_SUFFIX = ".receipt.json"
MAX_NAMES = 1000
KEEP_SENT_DAYS = 30


def sent_dir(config: AgentConfig) -> Path:
    return state_dir(config) / SENT


def pending(config: AgentConfig) -> list[Path]:
    """The envelopes waiting in the outbox, oldest first (by modification time, then name), so that
    the collector sees an agent's sequence numbers in order."""
    directory = outbox_dir(config)
    found: list[tuple[float, str, Path]] = []
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise SecauditError(f"Không đọc được hàng đợi gửi {directory}: {exc.strerror}.",
                            f"Cannot read the outbox {directory}: {exc.strerror}.") from None
    for entry in entries:
        if not entry.name.endswith(ENVELOPE_SUFFIX) or entry.name.startswith("."):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            found.append((st.st_mtime, entry.name, Path(entry.path)))
    return [path for _, _, path in sorted(found)]


def in_outbox(path: Path, config: AgentConfig) -> bool:
    try:
        return path.parent.resolve() == outbox_dir(config).resolve()
    except OSError:
        return False


@dataclass
class Claimed:
    path: Path
    data: bytes
    sha256: str
    unlink_on_close: bool = False  # Windows: a file open here cannot be deleted until claim() closes it


class Unreadable(SecauditError):
    """A file to send cannot be read (missing, not a regular file, too large)."""


@contextlib.contextmanager
def claim(path: Path) -> Iterator[Claimed | None]:
    """The file's bytes under an exclusive, non-blocking lock; None when another process holds it or the
    file is gone (already sent by it). Unreadable for a file that cannot be sent at all."""
    flags = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NOCTTY", 0)
             | getattr(os, "O_BINARY", 0))
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        yield None
        return
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Unreadable(f"{path} là liên kết tượng trưng; hãy chỉ đến tệp thật.",
                             f"{path} is a symbolic link; name the file itself.") from None
        raise Unreadable(f"Không đọc được {path}: {exc.strerror}.", f"Cannot read {path}: {exc.strerror}.") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Unreadable(f"{path} không phải tệp thông thường.", f"{path} is not a regular file.")
        try:
            lock(fd, wait=False)
        except Busy:
            yield None  # another submit is sending it
            return
        try:  # the name may have moved on while we waited: sent by another run, or replaced
            now = os.stat(path, follow_symlinks=False)
        except FileNotFoundError:
            yield None
            return
        if (now.st_ino, now.st_dev) != (st.st_ino, st.st_dev):
            yield None
            return
        if st.st_size > limits.ENVELOPE:
            raise Unreadable(f"{path} quá lớn ({st.st_size} byte, tối đa {limits.ENVELOPE}); không gửi.",
                             f"{path} is too large ({st.st_size} bytes, at most {limits.ENVELOPE}); not sent.")
        data = _read_all(fd)
        claimed = Claimed(path, data, hashlib.sha256(data).hexdigest())
        yield claimed
    finally:
        os.close(fd)  # releases the lock
    if claimed.unlink_on_close:
        path.unlink(missing_ok=True)
        fsync_dir(path.parent)


def _read_all(fd: int) -> bytes:
    chunks: list[bytes] = []
    got = 0
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        got += len(chunk)
        if got > limits.ENVELOPE:
            raise TooLarge(got)
        chunks.append(chunk)


def _sha_of(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except FileNotFoundError:
        return None
    except OSError:
        return ""  # unreadable: never ours


def _receipt_sha(path: Path) -> str | None:
    try:
        data = json.loads(path.read_bytes()[: 1 << 20])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError):
        return ""
    value = data.get("envelope_sha256") if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def _names(name: str) -> Iterator[str]:
    stem, suffix = (name[: -len(ENVELOPE_SUFFIX)], ENVELOPE_SUFFIX) if name.endswith(ENVELOPE_SUFFIX) else (name, "")
    yield name
    for n in range(2, MAX_NAMES):
        yield f"{stem}-{n}{suffix}"


def store_receipt(config: AgentConfig, claimed: Claimed, receipt: bytes, move: bool) -> Path:
    """Write the receipt into sent/ durably, then put the envelope beside it: moved out of the outbox
    (`move`) or copied (a file named on the command line stays where it is). Returns the receipt's path.
    The receipt must already have been checked to name `claimed.sha256`."""
    directory = sent_dir(config)
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name in _names(claimed.path.name):
            target = directory / name
            receipt_path = directory / (name + RECEIPT_SUFFIX)
            if _sha_of(target) not in (None, claimed.sha256):
                continue  # another envelope of the same name
            if _receipt_sha(receipt_path) not in (None, claimed.sha256):
                continue
            if not receipt_path.exists():
                try:
                    create_new(receipt_path, receipt, mode=0o600)
                except FileExistsError:
                    continue
            _place(claimed, target, move)
            return receipt_path
    except OSError as exc:
        raise SecauditError(
            f"Collector đã nhận {claimed.path.name} nhưng không lưu được biên nhận vào {directory}: {exc.strerror}; "
            "báo cáo vẫn nằm trong hàng đợi và sẽ được gửi lại.",
            f"The collector took {claimed.path.name} but its receipt could not be stored in {directory}: "
            f"{exc.strerror}; the report stays in the outbox and will be sent again.") from None
    raise SecauditError(f"Thư mục {directory} có quá nhiều tệp tên {claimed.path.name}.",
                        f"The directory {directory} has too many files named {claimed.path.name}.")


def _place(claimed: Claimed, target: Path, move: bool) -> None:
    """The envelope at `target` (its receipt is already on disk), then out of the outbox when moving."""
    if _sha_of(target) is None:
        try:
            if move:
                os.link(claimed.path, target)  # never overwrites; the outbox copy goes only after this
                fsync_dir(target.parent)
            else:
                create_new(target, claimed.data, mode=0o600)
        except FileExistsError:
            if _sha_of(target) != claimed.sha256:  # lost a race to an unrelated file: keep ours in the outbox
                return
        except OSError as exc:
            if not move or exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                raise
            create_new(target, claimed.data, mode=0o600)  # no hard links here: a durable copy instead
    if move:
        try:
            claimed.path.unlink(missing_ok=True)
        except PermissionError:
            if sys.platform != "win32":
                raise
            claimed.unlink_on_close = True  # open (claimed) here: Windows deletes it once claim() closes it
            return
        fsync_dir(claimed.path.parent)


def prune_sent(config: AgentConfig, keep_days: int = KEEP_SENT_DAYS, now: float | None = None) -> int:
    """Delete the envelopes in sent/ whose receipt beside it was stored more than `keep_days` days ago
    and names exactly that envelope; receipts are never deleted. Returns how many; a file that cannot be
    read or deleted is left alone."""
    directory = sent_dir(config)
    cutoff = (time.time() if now is None else now) - keep_days * 86400
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0
    gone = 0
    for entry in entries:
        if not entry.name.endswith(ENVELOPE_SUFFIX):
            continue
        envelope, receipt = Path(entry.path), Path(entry.path + RECEIPT_SUFFIX)
        try:
            if not entry.is_file(follow_symlinks=False) or receipt.lstat().st_mtime > cutoff:
                continue
        except OSError:  # no receipt: not ours to delete
            continue
        sha = _sha_of(envelope)
        if not sha or _receipt_sha(receipt) != sha:
            continue
        try:
            envelope.unlink()
        except OSError:
            continue
        gone += 1
    if gone:
        fsync_dir(directory)
    return gone
