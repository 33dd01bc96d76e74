#!/usr/bin/env bash
# The one test command (README.md, .ci/run): installs what the suite needs, then runs all of it.
# Idempotent: each install step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pair in go:golang-go qemu-img:qemu-utils ganesha.nfsd:nfs-ganesha rpcbind:rpcbind shellcheck:shellcheck \
            debootstrap:debootstrap qemu-system-x86_64:qemu-system-x86 ssh-keygen:openssh-client; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need_apt+=("${pair#*:}")
done
# Real guests (boot tests): OVMF for UEFI guests; sshd is Debian's, run chrooted in the test roots.
[ -f /usr/share/OVMF/OVMF_CODE.fd ] || [ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || need_apt+=(ovmf)
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
[ -d /usr/share/gocode/src/github.com/vmware/govmomi ] || need_apt+=(golang-github-vmware-govmomi-dev)
# The project's own virtual environment (installer/venv.sh, shared with the README's first command): a stock
# Debian 12 / Ubuntu 24.04 Python refuses pip outside one (PEP 668). Debian splits venv/ensurepip out.
VENV=${XTRACT_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  py=$(PYTHON=${PYTHON:-} bash -c '. installer/venv.sh && xtract_python' 2>/dev/null || echo python3)
  "$py" -c 'import ensurepip, venv' >/dev/null 2>&1 \
    || need_apt+=("python$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-venv")
fi
dpkg -s nfs-ganesha-vfs >/dev/null 2>&1 || need_apt+=(nfs-ganesha-vfs)
# Shared libraries Qt loads: the offscreen plugin on a bare Debian, and the xcb plugin (a real X server, Xvfb,
# in tests/gui/test_desktop.py): the README's Debian list (xtract_gui/gui/qpa_check.py), checked by that test.
for lib in fonts-noto-cjk xvfb xdotool x11-utils \
           libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-util1 \
           libxcb-randr0 libxcb-render0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxcb-xkb1 \
           libx11-6 libx11-xcb1 libxkbcommon0 libxkbcommon-x11-0 libgl1 libglx0 libglvnd0 libegl1 \
           libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0 libwayland-client0 libwayland-cursor0 libwayland-egl1; do
  dpkg -s "$lib" >/dev/null 2>&1 || need_apt+=("$lib")
done
# GTK as on a desktop or GitHub's Ubuntu runner: the frozen build must stay under its size target with Qt's GTK
# theme available to collect (it measured 159 MB with it; installer/prune.py leaves it out).
dpkg -s libgtk-3-0 >/dev/null 2>&1 || need_apt+=(libgtk-3-0)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

# shellcheck source=installer/venv.sh
. installer/venv.sh
xtract_venv "test,installer" "pytest, pytestqt, importlinter, tree_sitter_powershell, yaml, jsonschema, PyInstaller"

export QT_QPA_PLATFORM=offscreen
"$PY" -m ruff check --output-format concise xtract_gui tests benchmarks installer setup.py
exec "$PY" -m pytest "$@"
