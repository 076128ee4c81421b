"""The agent's Ed25519 signing key: key directory, init, load, rotate.

Key directory (first that applies): `--key-dir DIR`, the SECAUDIT_KEY_DIR environment variable,
`%ProgramData%\\secaudit\\keys` on Windows, `/etc/secaudit/keys` elsewhere. It holds:

    agent.key    private key, PEM PKCS#8, mode 0600, optionally encrypted with a passphrase
    agent.pub    public key, PEM SubjectPublicKeyInfo
    agent.id     the agent id (see ids.py), kept across rotations
    retired/<key id>.pub           public keys replaced by `keys rotate`, to verify old reports
    keyrotate-<time>-<new key id>.json   rotation statements (DSSE, signed by the old and new key)

Passphrase: `--passphrase-file F` (first line) or SECAUDIT_KEY_PASSPHRASE; it is NFC-normalised so
Vietnamese typed on different systems gives the same key. A rotated key keeps the same passphrase.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from secaudit import paths
from secaudit.errors import SecauditError
from secaudit.fsutil import TooLarge, create_new, read_capped, replace
from secaudit.sign.dsse import canonical_bytes, sign_multi
from secaudit.sign.ids import AGENT_ID_RE, agent_id, file_safe
from secaudit.sign.ids import fingerprint as fingerprint  # re-exported: keys.fingerprint(pub)
from secaudit.sign.ids import key_id as key_id  # re-exported: keys.key_id(pub)
from secaudit.sign.payload_types import KEYROTATE_TYPE

KEY_FILE, PUB_FILE, ID_FILE, RETIRED_DIR = "agent.key", "agent.pub", "agent.id", "retired"
KEY_DIR_ENV, PASSPHRASE_ENV = "SECAUDIT_KEY_DIR", "SECAUDIT_KEY_PASSPHRASE"
MAX_PEM = 64 * 1024

class KeyFileError(SecauditError):
    """A key file is missing, unreadable, malformed, too open, or would be overwritten (exit 2)."""


@dataclass(frozen=True)
class KeyInfo:
    key_dir: Path
    key_id: str
    fingerprint: str
    agent_id: str
    public_pem: str


@dataclass(frozen=True)
class Rotation:
    old_key_id: str
    new_key_id: str
    new_fingerprint: str
    retired_pub: Path
    statement: Path


# --- locations and passphrases -----------------------------------------------------------------


def default_key_dir(environ: dict[str, str] | None = None, os_name: str | None = None) -> Path:
    """$SECAUDIT_KEY_DIR, else the OS's place (secaudit.paths: %ProgramData%\\secaudit\\keys, /etc/secaudit/keys)."""
    return paths.local(paths.layout(os_name, environ).keys)


def resolve_key_dir(key_dir: str | os.PathLike[str] | None) -> Path:
    return Path(key_dir) if key_dir else default_key_dir()


def read_passphrase_file(path: str) -> str:
    try:
        data = read_capped(path, 4096)
    except TooLarge:
        raise KeyFileError(f"Tệp mật khẩu {path} quá lớn.", f"The passphrase file {path} is too large.") from None
    except OSError as exc:
        raise KeyFileError(f"Không đọc được tệp mật khẩu {path}: {exc.strerror}.",
                           f"Cannot read the passphrase file {path}: {exc.strerror}.") from None
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise KeyFileError(f"Tệp mật khẩu {path} không phải văn bản UTF-8.",
                           f"The passphrase file {path} is not UTF-8 text.") from None
    if not lines or not lines[0]:
        raise KeyFileError(f"Tệp mật khẩu {path} trống.", f"The passphrase file {path} is empty.")
    return lines[0]


def resolve_passphrase(passphrase_file: str | None) -> str | None:
    """--passphrase-file if given, else SECAUDIT_KEY_PASSPHRASE, else None (no passphrase)."""
    if passphrase_file:
        return read_passphrase_file(passphrase_file)
    return os.environ.get(PASSPHRASE_ENV) or None


def _secret(passphrase: str) -> bytes:
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


# --- reading -----------------------------------------------------------------------------------


def _read_small(path: Path, what_vi: str, what_en: str) -> bytes:
    try:
        return read_capped(path, MAX_PEM)
    except TooLarge:
        raise KeyFileError(f"Tệp {what_vi} {path} quá lớn.", f"The {what_en} file {path} is too large.") from None
    except FileNotFoundError:
        raise KeyFileError(f"Không có {what_vi} {path}; hãy chạy `secaudit keys init` hoặc chỉ định --key-dir.",
                           f"There is no {what_en} at {path}; run `secaudit keys init` or give --key-dir.") from None
    except PermissionError:
        raise KeyFileError(f"Không có quyền đọc {path}; hãy chạy với quyền root/sudo hoặc chỉ định --key-dir.",
                           f"No permission to read {path}; run as root/sudo or give --key-dir.") from None
    except OSError as exc:
        raise KeyFileError(f"Không đọc được {path}: {exc.strerror}.", f"Cannot read {path}: {exc.strerror}.") from None


def load_public(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    file = Path(path)
    data = _read_small(file, "khóa công khai", "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFileError(f"{file} không phải khóa công khai PEM hợp lệ.",
                           f"{file} is not a valid PEM public key.") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{file} không phải khóa Ed25519.", f"{file} is not an Ed25519 key.")
    return key


def public_from_pem(text: str) -> Ed25519PublicKey | None:
    """The Ed25519 public key a PEM text holds (an enrollment, a database row, a collector's answer), or
    None for anything else: another algorithm, not PEM, not ASCII."""
    try:
        key = serialization.load_pem_public_key(text.encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError, UnsupportedAlgorithm):
        return None
    return key if isinstance(key, Ed25519PublicKey) else None


def public_pem_text(pub: Ed25519PublicKey) -> str:
    return _public_pem(pub).decode("ascii")


def has_private_key(key_dir: str | os.PathLike[str] | None) -> bool:
    """True if agent.key exists; KeyFileError if it cannot be known (no permission)."""
    path = resolve_key_dir(key_dir) / KEY_FILE
    try:
        os.stat(path)
    except FileNotFoundError:
        return False
    except PermissionError:
        raise KeyFileError(f"Không có quyền truy cập {path}; hãy chạy với quyền root/sudo hoặc chỉ định --key-dir.",
                           f"No permission to access {path}; run as root/sudo or give --key-dir.") from None
    return True


def load_private(key_dir: str | os.PathLike[str] | None, passphrase: str | None) -> Ed25519PrivateKey:
    path = resolve_key_dir(key_dir) / KEY_FILE
    data = _read_small(path, "khóa bí mật", "private key")
    if os.name != "nt":
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            raise KeyFileError(
                f"Tệp khóa bí mật {path} có quyền {mode:04o}, người khác có thể đọc; hãy chạy: chmod 600 {path}",
                f"The private key {path} has mode {mode:04o} and others can read it; run: chmod 600 {path}")
    encrypted = b"ENCRYPTED PRIVATE KEY" in data
    try:
        key = serialization.load_pem_private_key(data, _secret(passphrase) if passphrase and encrypted else None)
    except TypeError:  # encrypted, and no passphrase given
        raise KeyFileError(
            f"Khóa {path} được bảo vệ bằng mật khẩu; hãy cung cấp qua --passphrase-file hoặc biến {PASSPHRASE_ENV}.",
            f"The key {path} is protected by a passphrase; give it with --passphrase-file or {PASSPHRASE_ENV}.",
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        if encrypted:
            raise KeyFileError(f"Sai mật khẩu của khóa {path}.", f"Wrong passphrase for the key {path}.") from None
        raise KeyFileError(f"{path} không phải khóa bí mật PEM hợp lệ.",
                           f"{path} is not a valid PEM private key.") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} không phải khóa Ed25519.", f"{path} is not an Ed25519 key.")
    return key


def public_keys(key_dir: str | os.PathLike[str] | None) -> list[Path]:
    """agent.pub and every retired public key of the key directory (newest key first)."""
    directory = resolve_key_dir(key_dir)
    found = [directory / PUB_FILE] if (directory / PUB_FILE).exists() else []
    retired = directory / RETIRED_DIR
    if retired.is_dir():
        found += sorted(retired.glob("*.pub"), key=lambda p: p.stat().st_mtime, reverse=True)
    return found


def read_agent_id(key_dir: str | os.PathLike[str] | None) -> str | None:
    """The stored agent id, else one derived from agent.pub, else None."""
    directory = resolve_key_dir(key_dir)
    try:
        stored = read_capped(directory / ID_FILE, 256).decode("ascii", "replace").strip()
        if AGENT_ID_RE.fullmatch(stored):
            return stored
    except (OSError, TooLarge):
        pass
    try:
        return agent_id(load_public(directory / PUB_FILE))
    except KeyFileError:
        return None


def info(key_dir: str | os.PathLike[str] | None) -> KeyInfo:
    directory = resolve_key_dir(key_dir)
    pub = load_public(directory / PUB_FILE)
    return KeyInfo(directory, key_id(pub), fingerprint(pub), read_agent_id(directory) or agent_id(pub),
                   _public_pem(pub).decode("ascii"))


def is_encrypted(key_dir: str | os.PathLike[str] | None) -> bool | None:
    try:
        return b"ENCRYPTED PRIVATE KEY" in read_capped(resolve_key_dir(key_dir) / KEY_FILE, MAX_PEM)
    except (OSError, TooLarge):
        return None


# --- writing -----------------------------------------------------------------------------------


def _public_pem(pub: Ed25519PublicKey) -> bytes:
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _private_pem(key: Ed25519PrivateKey, passphrase: str | None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(_secret(passphrase)) if passphrase
        else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def _write_error(path: Path, exc: OSError) -> KeyFileError:
    return KeyFileError(f"Không ghi được {path}: {exc.strerror}; hãy chạy với quyền root/sudo hoặc chỉ định --key-dir.",
                        f"Cannot write {path}: {exc.strerror}; run as root/sudo or give --key-dir.")


def _prepare_dir(directory: Path) -> None:
    """Create the key directory 0700 (on Windows: SYSTEM and Administrators only, by ACL), or check an
    existing one is not writable by others."""
    try:
        if not directory.exists():
            directory.parent.mkdir(parents=True, exist_ok=True)
            directory.mkdir(mode=0o700)
            if os.name != "nt":
                os.chmod(directory, 0o700)
            problem = paths.restrict(directory)  # Windows: %ProgramData% lets every user read what is under it
            if problem is not None:
                directory.rmdir()
                raise KeyFileError(
                    f"Không giới hạn được quyền truy cập thư mục khóa {directory} ({problem}); chưa tạo khóa.",
                    f"Cannot restrict access to the key directory {directory} ({problem}); no key was made.")
            return
    except OSError as exc:
        raise _write_error(directory, exc) from None
    if not directory.is_dir():
        raise KeyFileError(f"{directory} không phải thư mục.", f"{directory} is not a directory.")
    mode = stat.S_IMODE(directory.stat().st_mode)
    if os.name != "nt" and mode & 0o022:
        raise KeyFileError(
            f"Thư mục khóa {directory} cho phép người khác ghi (quyền {mode:04o}); hãy chạy: chmod 700 {directory}",
            f"The key directory {directory} is writable by others (mode {mode:04o}); run: chmod 700 {directory}")


def init(key_dir: str | os.PathLike[str] | None, passphrase: str | None = None) -> KeyInfo:
    """Create agent.key (0600, never overwritten), agent.pub and agent.id in the key directory."""
    directory = resolve_key_dir(key_dir)
    for name in (KEY_FILE, PUB_FILE):
        if os.path.lexists(directory / name):
            raise KeyFileError(
                f"Đã có {directory / name}; không ghi đè khóa. Dùng `secaudit keys rotate` để thay khóa.",
                f"{directory / name} already exists; the key is never overwritten. Use `secaudit keys rotate`.")
    _prepare_dir(directory)
    key = Ed25519PrivateKey.generate()
    pub = key.public_key()
    target = directory / KEY_FILE
    try:
        create_new(target, _private_pem(key, passphrase), mode=0o600, exact=True)
        target = directory / PUB_FILE
        create_new(target, _public_pem(pub), mode=0o644)
        target = directory / ID_FILE
        replace(target, (agent_id(pub) + "\n").encode("ascii"), mode=0o644)
    except FileExistsError:
        raise KeyFileError(f"Đã có {target}; không ghi đè khóa.",
                           f"{target} already exists; the key is never overwritten.") from None
    except OSError as exc:
        raise _write_error(target, exc) from None
    return info(directory)


def rotate(key_dir: str | os.PathLike[str] | None, passphrase: str | None = None,
           now: datetime | None = None) -> Rotation:
    """New key pair; the old public key goes to retired/; a statement signed by the old and new key
    records the change; the old private key is replaced only once the new one is on disk."""
    directory = resolve_key_dir(key_dir)
    old = load_private(directory, passphrase)
    old_pub = old.public_key()
    stable_id = read_agent_id(directory) or agent_id(old_pub)
    new = Ed25519PrivateKey.generate()
    new_pub = new.public_key()
    old_id, new_id = key_id(old_pub), key_id(new_pub)
    when = (now or datetime.now(UTC)).astimezone(UTC)
    retired = directory / RETIRED_DIR / f"{file_safe(old_id)}.pub"
    statement_path = directory / f"keyrotate-{when:%Y%m%d-%H%M%S}-{file_safe(new_id)}.json"
    statement = {
        "schema": "secaudit.keyrotate/v1",
        "agent_id": stable_id,
        "old_key_id": old_id,
        "old_pubkey": _public_pem(old_pub).decode("ascii"),
        "new_key_id": new_id,
        "new_pubkey": _public_pem(new_pub).decode("ascii"),
        "rotated_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    target = retired
    try:
        retired.parent.mkdir(mode=0o700, exist_ok=True)
        try:
            create_new(retired, _public_pem(old_pub))
        except FileExistsError:  # same name = same key hash; keep it unless it is something else
            if load_public(retired).public_bytes_raw() != old_pub.public_bytes_raw():
                raise
        target = statement_path
        create_new(statement_path, sign_multi(canonical_bytes(statement), KEYROTATE_TYPE, [old, new]))
        target = directory / ID_FILE
        if not (directory / ID_FILE).exists():
            create_new(target, (stable_id + "\n").encode("ascii"))
        # public first: if we stop in between, reports are still signed by the old key, whose
        # public key is already in retired/, so they verify
        target = directory / PUB_FILE
        replace(target, _public_pem(new_pub))
        target = directory / KEY_FILE
        replace(target, _private_pem(new, passphrase), mode=0o600, exact=True)
    except FileExistsError:
        raise KeyFileError(f"Đã có {target}; không ghi đè.", f"{target} already exists; not overwritten.") from None
    except OSError as exc:
        raise _write_error(target, exc) from None
    return Rotation(old_id, new_id, fingerprint(new_pub), retired, statement_path)
