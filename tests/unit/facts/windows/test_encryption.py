"""BitLocker volumes (facts/windows/encryption.py) in the system table's disk_encryption."""

from __future__ import annotations

from tests.fixtures.windows.build import failed
from tests.unit.facts.windows.test_system import system
from tests.unit.facts.windows.wintest import ok


def test_bitlocker_off_absent_or_not_readable() -> None:
    vols = [{"MountPoint": "C:", "VolumeType": 0, "ProtectionStatus": 0, "EncryptionPercentage": 0},
            {"MountPoint": "D:", "VolumeType": 1, "ProtectionStatus": 1, "EncryptionPercentage": 100},
            {"MountPoint": "E:", "VolumeType": 2, "ProtectionStatus": 2, "EncryptionPercentage": 37.5}]
    rows = system(bitlocker=ok(vols))[0]["disk_encryption"]
    assert [(r["name"], r["active"], r["protection_status"], r["volume_type"], r["encryption_percentage"])
            for r in rows] == [("C:", False, "off", "os", 0), ("D:", True, "on", "fixed", 100),
                               ("E:", False, "unknown", "removable", 37)]
    table, unknown = system(bitlocker=failed("The term 'Get-BitLockerVolume' is not recognized as the name of a "
                                             "cmdlet", "ObjectNotFound: (Get-BitLockerVolume:String) [], "
                                             "CommandNotFoundException", "CommandNotFoundException"))
    assert table["disk_encryption"] == [] and unknown["system.disk_encryption"]["code"] == "command_failed"
