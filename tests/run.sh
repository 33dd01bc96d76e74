#!/usr/bin/env bash
# The one test command (README.md, .ci/run): installs what the suite needs, then runs all of it.
# Idempotent: each install step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pair in go:golang-go qemu-img:qemu-utils ganesha.nfsd:nfs-ganesha rpcbind:rpcbind shellcheck:shellcheck \
            debootstrap:debootstrap; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need_apt+=("${pair#*:}")
done
[ -d /usr/share/gocode/src/github.com/vmware/govmomi ] || need_apt+=(golang-github-vmware-govmomi-dev)
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

PY=${PYTHON:-python3}
if ! $PY -c 'import xtract_gui, pytest, pytestqt, importlinter, tree_sitter_powershell, yaml, jsonschema' 2>/dev/null \
   || [ pyproject.toml -nt "${XDG_CACHE_HOME:-$HOME/.cache}/xtract-gui/.pip-stamp" ]; then
  $PY -m pip install -q --disable-pip-version-check -e '.[test,installer]'
  mkdir -p "${XDG_CACHE_HOME:-$HOME/.cache}/xtract-gui" && touch "${XDG_CACHE_HOME:-$HOME/.cache}/xtract-gui/.pip-stamp"
fi

export QT_QPA_PLATFORM=offscreen
$PY -m ruff check xtract_gui tests benchmarks
exec $PY -m pytest "$@"
