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
# The project's own virtual environment: a stock Debian 12 / Ubuntu 24.04 Python refuses pip outside one
# (PEP 668), and each checkout keeps its own editable install. Debian splits venv/ensurepip out.
VENV=${XTRACT_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ] && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  need_apt+=(python3-venv)
fi
dpkg -s nfs-ganesha-vfs >/dev/null 2>&1 || need_apt+=(nfs-ganesha-vfs)
# Shared libraries Qt's offscreen platform plugin loads on a bare Debian.
for lib in libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 fonts-noto-cjk; do
  dpkg -s "$lib" >/dev/null 2>&1 || need_apt+=("$lib")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PY="$VENV/bin/python"
# (Re)install when the test extras are missing, pyproject.toml changed, or the installed package
# is another checkout's (an editable install elsewhere would make lint-imports and the CLI tests
# look at the wrong tree).
here=$(pwd -P)
stamp_dir="${XDG_CACHE_HOME:-$HOME/.cache}/xtract-gui"
stamp="$stamp_dir/pip-$(printf %s "$here" | sha256sum | cut -c1-16)-$(sha256sum pyproject.toml | cut -c1-16)"
installed=$( (cd / && $PY -c 'import os, xtract_gui; print(os.path.dirname(os.path.dirname(os.path.realpath(xtract_gui.__file__))))') 2>/dev/null) || installed=""
if [ "$installed" != "$here" ] || [ ! -f "$stamp" ] \
   || ! $PY -c 'import pytest, pytestqt, importlinter, tree_sitter_powershell, yaml, jsonschema, PyInstaller' 2>/dev/null; then
  $PY -m pip install -q --disable-pip-version-check -e '.[test,installer]'
  mkdir -p "$stamp_dir" && touch "$stamp"
fi

export QT_QPA_PLATFORM=offscreen
$PY -m ruff check --output-format concise xtract_gui tests benchmarks installer
exec $PY -m pytest "$@"
