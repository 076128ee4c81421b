#!/usr/bin/env bash
# Debian packages the agent and the test suite use. Idempotent; needs root (or sudo).
set -euo pipefail
PACKAGES=(
  python3 python3-venv python3-pip   # the runtime
  make git                           # the two README commands
  iproute2 procps util-linux passwd  # ss/ip, ps, runuser, useradd: real-system tests
  openssh-server openssh-client      # a real sshd_config and sshd binary to parse and run
  sudo                               # remote audit with sudo over SSH
  nmap ieee-data                     # secaudit scan: port scans, MAC vendor (OUI) databases
  clamav clamav-freshclam            # a real antivirus install to detect (no signature download)
  nftables iptables ufw              # real firewall tools (tests run them in a private netns)
  fonts-liberation2                  # Times-metric serif with full Vietnamese, embedded in the PDF
  libpango-1.0-0 libpangoft2-1.0-0   # WeasyPrint's text layout
  poppler-utils                      # pdftotext/pdffonts/pdftoppm: PDF tests
  chromium                           # the HTML report opened and printed in headless Chromium
  chromium-driver                    # the dashboard driven by Selenium in that Chromium (nothing downloaded)
  restic borgbackup                  # real backup repositories, verified and corrupted by the tests
  zstd b3sum zip                     # real archives and manifests; b3sum is also the bench's baseline
  postgresql                         # pg_dump custom-format dumps (and the collector's database later)
  debootstrap                        # a real Debian 12 root built once per test run and audited with --root
  dconf-cli                          # dconf compile: users' own dconf databases (GVDB) as dconf writes them
)
if [ "${1:-}" = "--bench" ]; then PACKAGES+=(lynis); fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# policy-rc.d keeps package installs from starting daemons inside CI containers
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
