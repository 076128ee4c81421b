from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.config import load_config
from secaudit.errors import ConfigError


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "secaudit.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_defaults_without_a_file(monkeypatch, tmp_path):
    monkeypatch.setattr("secaudit.config.default_config_path", lambda: tmp_path / "none.toml")
    cfg = load_config(None)
    assert cfg.playbook == "dong-nai-2026" and cfg.role == "auto" and cfg.backups == []


def test_full_config(tmp_path):
    cfg = load_config(_write(tmp_path, """
playbook = "dak-lak-2026"
role = "server"
approved_admins = ["a", "b"]
allowed_ports = ["tcp/3306", 8080]
[unit]
code = "66-THPT-01"
name = "Trường THPT Buôn Ma Thuột"
parent = "Sở Giáo dục và Đào tạo tỉnh Đắk Lắk"
place = "Buôn Ma Thuột"
signer_title = "HIỆU TRƯỞNG"
[[backup]]
name = "CSDL nhà trường"
kind = "restic"
path = "/srv/restic"
min_count = 7
[params."accounts.inactive"]
max_days = 60
"""))
    assert cfg.unit_name == "Trường THPT Buôn Ma Thuột"
    assert cfg.unit_extra == {"parent": "Sở Giáo dục và Đào tạo tỉnh Đắk Lắk", "place": "Buôn Ma Thuột",
                              "signer_title": "HIỆU TRƯỞNG"}
    assert cfg.allowed_ports == ["tcp/3306", "8080"]
    assert cfg.backups[0].kind == "restic" and cfg.backups[0].max_age == "26h"
    assert cfg.params["accounts.inactive"]["max_days"] == 60


@pytest.mark.parametrize("text, fragment", [
    ("rolee = 'server'", "'rolee'"),
    ("role = 'kitchen'", "'role'"),
    ("approved_admins = 'root'", "'approved_admins'"),
    ("[[backup]]\nkind = 'files'", "backup[0].name"),
    ("[[backup]]\nname = 'x'\nkind = 'tape'", "backup[0].kind"),
    ("[[backup]]\nname = 'x'\npasword_file = 'y'", "backup[0].pasword_file"),
    ("[unit]\ncode = 5", "unit.code"),
    ("playbook = [", "TOML"),
])
def test_bad_config_names_the_key(tmp_path, text, fragment):
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, text))
    assert fragment in err.value.en
    if fragment != "TOML":
        assert fragment in err.value.vi
    assert "\n" not in err.value.en.strip()


def test_missing_explicit_config(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(str(tmp_path / "nope.toml"))
    assert "nope.toml" in err.value.en


def test_collector_table(tmp_path):
    config = load_config(_write(tmp_path, '[collector]\nurl = "https://c.example"\nca_file = "/etc/ca.pem"\n'
                                          'proxy = "http://proxy.truong.local:3128"\n'))
    assert (config.collector_url, config.collector_ca_file, config.collector_proxy) == (
        "https://c.example", "/etc/ca.pem", "http://proxy.truong.local:3128")
    assert load_config(_write(tmp_path, 'collector_url = "https://old.example"\n')).collector_url == "https://old.example"


@pytest.mark.parametrize("text, fragment", [
    ('[collector]\nurl = 5\n', "collector.url"),
    ('[collector]\nproxy = 3128\n', "collector.proxy"),
    ('[collector]\nproxies = "x"\n', "collector.proxies"),
    ('collector = "https://c.example"\n', "collector"),
    ('collector_url = "https://a.example"\n[collector]\nurl = "https://b.example"\n', "keep one"),
])
def test_bad_collector_table(tmp_path, text, fragment):
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, text))
    assert fragment in err.value.en
