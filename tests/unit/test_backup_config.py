"""[[backup]] tables: the fields secaudit backup verify adds, and their validation."""

from __future__ import annotations

import pytest

from secaudit.config import load_config
from secaudit.errors import ConfigError


def _write(tmp_path, text):
    path = tmp_path / "secaudit.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_full_backup_set(tmp_path):
    cfg = load_config(_write(tmp_path, """
[[backup]]
name = "CSDL nhà trường"
kind = "files"
path = "/srv/backup/db-*.sql.gz"
max_age = "26h"
min_count = 7
source = "/srv/data"
offsite = "sftp://backup@nas.local:2222/backups/db"
offsite_max_age = "8d"
offsite_known_hosts = "/etc/secaudit/known_hosts"
offsite_key_file = "/etc/secaudit/backup_ed25519"
manifest = "/srv/backup/SHA256SUMS"
verify = "hash"
drill_files = 5
personal_data = false

[[backup]]
name = "restic"
kind = "restic"
path = "/srv/restic"
password_file = "/etc/restic.pass"
"""))
    first = cfg.backups[0]
    assert first.offsite_max_age == "8d" and first.verify == "hash" and first.drill_files == 5
    assert first.personal_data is False and first.manifest == "/srv/backup/SHA256SUMS"
    assert cfg.backups[1].verify == "auto" and cfg.backups[1].drill_files == 20


@pytest.mark.parametrize("body, fragment", [
    ("name = 'x'\npath = '/b'\nmax_age = 'tomorrow'", "backup[0].max_age"),
    ("name = 'x'\npath = '/b'\nmax_age = '26'", "backup[0].max_age"),
    ("name = 'x'\npath = '/b'\noffsite_max_age = '0h'", "backup[0].offsite_max_age"),
    ("name = 'x'\npath = ''", "backup[0].path"),
    ("name = 'x'", "backup[0].path"),
    ("name = 'x'\npath = '/b'\nmin_count = -1", "backup[0].min_count"),
    ("name = 'x'\npath = '/b'\nmin_count = '7'", "backup[0].min_count"),
    ("name = 'x'\npath = '/b'\ndrill_files = 1.5", "backup[0].drill_files"),
    ("name = 'x'\npath = '/b'\nverify = 'deep'", "backup[0].verify"),
    ("name = 'x'\npath = '/b'\noffsite = 'nas:/backups'", "backup[0].offsite"),
    ("name = 'x'\npath = '/b'\noffsite = 'sftp://nas'", "backup[0].offsite"),
    ("name = 'x'\npath = '/b'\noffsite = 'sftp://nas:99999/x'", "backup[0].offsite"),
    ("name = 'x'\npath = '/b'\npersonal_data = 'yes'", "backup[0].personal_data"),
    ("name = 'x'\npath = 7", "backup[0].path"),
])
def test_bad_backup_fields_name_the_key(tmp_path, body, fragment):
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, "[[backup]]\n" + body + "\n"))
    assert fragment in err.value.en and fragment in err.value.vi


def test_duplicate_set_names_are_refused(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, "[[backup]]\nname = 'a'\npath = '/x'\n[[backup]]\nname = 'a'\npath = '/y'\n"))
    assert "backup[1].name" in err.value.en
