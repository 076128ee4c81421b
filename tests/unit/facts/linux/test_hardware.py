"""Hardware: DMI or the device tree, CPU, memory and disks, from replayed recordings."""

from __future__ import annotations

from secaudit.facts.linux.hardware import parse_cpuinfo
from tests.conftest import facts_of
from tests.unit.facts.linux.inventory_samples import collect_only, replay


def test_cpuinfo_x86_and_arm() -> None:
    x86 = ("processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Core(TM) i5-8500 CPU @ 3.00GHz\n"
           "flags\t\t: fpu vme sse2\n\nprocessor\t: 1\nmodel name\t: Intel(R) Core(TM) i5-8500 CPU @ 3.00GHz\n"
           "flags\t\t: fpu vme sse2\n")
    assert parse_cpuinfo(x86) == {"model": "Intel(R) Core(TM) i5-8500 CPU @ 3.00GHz", "logical_cpus": 2,
                                  "hypervisor": False}
    rpi = ("processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU part\t: 0xd08\n\n"
           "processor\t: 1\nBogoMIPS\t: 108.00\n\n"
           "Hardware\t: BCM2835\nRevision\t: c03114\nSerial\t\t: 10000000a1b2c3d4\n"
           "Model\t\t: Raspberry Pi 4 Model B Rev 1.4\n")
    assert parse_cpuinfo(rpi) == {"model": "BCM2835", "logical_cpus": 2, "hypervisor": False}


# -- hardware -------------------------------------------------------------------------------------

DMI = "/sys/class/dmi/id"


def _hw_files() -> dict[str, str]:
    return {
        f"{DMI}/sys_vendor": "Dell Inc.\n", f"{DMI}/product_name": "OptiPlex 3070\n",
        f"{DMI}/product_serial": "7XK2R33\n", f"{DMI}/board_vendor": "Dell Inc.\n",
        f"{DMI}/board_name": "0J2HV7\n", f"{DMI}/bios_version": "1.23.0\n", f"{DMI}/bios_date": "05/11/2023\n",
        f"{DMI}/bios_vendor": "Dell Inc.\n", f"{DMI}/chassis_type": "3\n",
        "/proc/cpuinfo": "processor\t: 0\nmodel name\t: Intel(R) Core(TM) i3-9100 CPU @ 3.60GHz\nflags\t: fpu\n\n"
                         "processor\t: 1\nmodel name\t: Intel(R) Core(TM) i3-9100 CPU @ 3.60GHz\n",
        "/proc/meminfo": "MemTotal:        8038756 kB\nMemFree:         1234 kB\n",
        "/sys/block/sda/size": "976773168\n", "/sys/block/sda/queue/rotational": "1\n",
        "/sys/block/sda/removable": "0\n", "/sys/block/sda/device/model": "ST500DM009-2F110A\n",
        "/sys/block/sda/device/vendor": "ATA     \n",
        "/sys/block/nvme0n1/size": "500118192\n", "/sys/block/nvme0n1/queue/rotational": "0\n",
        "/sys/block/nvme0n1/removable": "0\n", "/sys/block/nvme0n1/device/model": "KINGSTON SNV2S500G  \n",
        "/sys/block/nvme0n1/device/serial": "50026B7685A1B2C3    \n",
        "/sys/block/sdb/size": "0\n", "/sys/block/sdb/removable": "1\n",
        "/sys/block/loop0/size": "129024\n", "/sys/block/zram0/size": "8000000\n",
        "/sys/block/dm-0/size": "1000\n", "/sys/block/mmcblk0boot0/size": "8192\n",
    }


def test_hardware_livereplay() -> None:
    snap = collect_only(replay(_hw_files()), {"hardware"})
    hw = snap.table("hardware")
    assert (hw["vendor"], hw["model"], hw["serial"]) == ("Dell Inc.", "OptiPlex 3070", "7XK2R33")
    assert (hw["board"], hw["bios_version"], hw["chassis_type"]) == ("0J2HV7", "1.23.0", 3)
    assert (hw["cpu"], hw["cpu_count"]) == ("Intel(R) Core(TM) i3-9100 CPU @ 3.60GHz", 2)
    assert hw["virtual"] is False
    assert hw["memory_bytes"] == 8038756 * 1024
    disks = {d["name"]: d for d in hw["disks"]}
    assert sorted(disks) == ["nvme0n1", "sda", "sdb"]  # loop, zram, dm-, eMMC boot areas skipped
    assert disks["sda"]["size_bytes"] == 976773168 * 512 and disks["sda"]["rotational"] is True
    assert disks["sda"]["model"] == "ST500DM009-2F110A" and disks["sda"]["vendor"] == "ATA"
    assert disks["nvme0n1"]["rotational"] is False and disks["nvme0n1"]["serial"] == "50026B7685A1B2C3"
    assert disks["sdb"]["removable"] is True and disks["sdb"]["rotational"] is None
    assert not [k for k in snap.unknown if k.startswith("hardware")]


def test_hardware_serial_needs_root() -> None:
    snap = collect_only(replay(_hw_files(), denied=[f"{DMI}/product_serial"]), {"hardware"})
    assert snap.table("hardware")["serial"] is None
    assert snap.unknown["hardware.serial"] == {"code": "permission_denied", "detail": f"{DMI}/product_serial"}


def test_hardware_board_without_dmi_uses_device_tree() -> None:
    files = {"/sys/firmware/devicetree/base/model": "Raspberry Pi 4 Model B Rev 1.4\0",
             "/sys/firmware/devicetree/base/serial-number": "10000000a1b2c3d4\0",
             "/proc/cpuinfo": "processor\t: 0\nFeatures\t: fp asimd\n\nHardware\t: BCM2835\n"}
    hw = collect_only(replay(files), {"hardware"}).table("hardware")
    assert (hw["model"], hw["serial"]) == ("Raspberry Pi 4 Model B Rev 1.4", "10000000a1b2c3d4")
    snap = collect_only(replay({"/proc/cpuinfo": "processor : 0\nflags : fpu hypervisor\n"}), {"hardware"})
    assert snap.table("hardware")["virtual"] is True
    assert snap.unknown["hardware.serial"]["code"] == "not_found"


def test_hardware_not_applicable_on_a_mounted_root(make_root) -> None:
    root = make_root({"etc/hostname": "x\n", "sys/class/dmi/id/product_serial": "WRONG\n",
                      "proc/meminfo": "MemTotal: 1 kB\n"})
    snap = facts_of(root, only={"hardware"})
    assert snap.unknown["hardware"]["code"] == "not_applicable"
    assert snap.table("hardware")["serial"] is None and snap.table("hardware")["memory_bytes"] is None
