#!/usr/bin/env bash
# Builds xtract-gui.app on macOS (PyInstaller BUNDLE), then a .dmg with hdiutil.
# Signing and notarization need an Apple Developer ID; see README.md "Installers".
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
python3 -m pip install -e '.[installer]'
if [ -f assets/xtract-gui.png ] && [ ! -f assets/icon.icns ]; then
  iconset=$(mktemp -d)/icon.iconset; mkdir -p "$iconset"
  for s in 16 32 128 256 512; do sips -z $s $s assets/xtract-gui.png --out "$iconset/icon_${s}x${s}.png" >/dev/null; done
  iconutil -c icns "$iconset" -o assets/icon.icns
fi
python3 -m PyInstaller --noconfirm --clean --distpath build/installer/dist --workpath build/installer/work \
  installer/xtract-gui.spec
if [ -n "${XTRACT_CODESIGN_ID:-}" ]; then
  codesign --deep --force --options runtime --timestamp --sign "$XTRACT_CODESIGN_ID" build/installer/dist/xtract-gui.app
fi
hdiutil create -volname xtract-gui -srcfolder build/installer/dist/xtract-gui.app -ov -format UDZO \
  build/installer/xtract-gui.dmg
echo "built build/installer/xtract-gui.dmg"
