#!/usr/bin/env bash
# Builds the one-folder app (default) or one file (--onefile) with PyInstaller, then reports its size.
#   installer/build.sh [--onefile] [--out DIR]
# The result needs no Python and no network on the consultant's laptop.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/build/installer"
while [ $# -gt 0 ]; do
  case "$1" in
    --onefile) export XTRACT_ONEFILE=1 ;;
    --out) OUT="$2"; shift ;;
    *) echo "usage: $0 [--onefile] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
if [ -n "${PYTHON:-}" ]; then
  PY=$PYTHON  # a Python that already has xtract-gui and PyInstaller (CI, tests)
  "$PY" -c 'import PyInstaller, xtract_gui' || { echo "$PY lacks PyInstaller or xtract-gui" >&2; exit 1; }
else
  # The checkout's .venv with the installer extra (installer/venv.sh): the app is frozen from what is installed.
  cd "$ROOT"
  # shellcheck source=installer/venv.sh
  . installer/venv.sh
  xtract_venv "installer" "PyInstaller"
fi
mkdir -p "$OUT"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$OUT/dist" --workpath "$OUT/work" "$ROOT/installer/xtract-gui.spec"
if [ "${XTRACT_ONEFILE:-}" = 1 ]; then target="$OUT/dist/xtract-gui"; else target="$OUT/dist/xtract-gui"; fi
size_mb=$(du -sm "$target" | cut -f1)
echo "built: $target"
echo "size: ${size_mb} MB (target for the one-folder Linux build: < 150 MB)"
if [ "$(uname -s)" = Linux ] && [ -z "${XTRACT_ONEFILE:-}" ]; then
  install -m 644 "$ROOT/installer/linux/xtract-gui.desktop" "$target/xtract-gui.desktop"
  [ -f "$ROOT/assets/xtract-gui.png" ] && install -m 644 "$ROOT/assets/xtract-gui.png" "$target/xtract-gui.png"
fi
