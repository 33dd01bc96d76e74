#!/usr/bin/env bash
# Builds xtract-gui.app on macOS (PyInstaller BUNDLE), then a .dmg with hdiutil.
# Signing and notarization need an Apple Developer ID; see README.md "Installers".
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
# The checkout's .venv (installer/venv.sh): Homebrew's Python refuses pip outside one (PEP 668).
# shellcheck source=installer/venv.sh
. installer/venv.sh
xtract_venv "installer" "PyInstaller"
if [ -f assets/xtract-gui.png ] && [ ! -f assets/icon.icns ]; then
  iconset=$(mktemp -d)/icon.iconset; mkdir -p "$iconset"
  for s in 16 32 128 256 512; do sips -z $s $s assets/xtract-gui.png --out "$iconset/icon_${s}x${s}.png" >/dev/null; done
  iconutil -c icns "$iconset" -o assets/icon.icns
fi
"$PY" -m PyInstaller --noconfirm --clean --distpath build/installer/dist --workpath build/installer/work \
  installer/xtract-gui.spec
if [ -n "${XTRACT_CODESIGN_ID:-}" ]; then
  codesign --deep --force --options runtime --timestamp --sign "$XTRACT_CODESIGN_ID" build/installer/dist/xtract-gui.app
fi
# The disk image shows the app beside a link to /Applications: drag one onto the other to install.
stage=$(mktemp -d)
cp -R build/installer/dist/xtract-gui.app "$stage/"
ln -s /Applications "$stage/Applications"
hdiutil create -volname xtract-gui -srcfolder "$stage" -ov -format UDZO build/installer/xtract-gui.dmg
rm -rf "$stage"
echo "built build/installer/xtract-gui.dmg"
