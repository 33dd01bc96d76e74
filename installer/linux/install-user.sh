#!/usr/bin/env bash
# Per-user install of the one-folder Linux build: no root, no network.
#   installer/linux/install-user.sh [DIST_DIR]   (default: build/installer/dist/xtract-gui)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIST="${1:-$ROOT/build/installer/dist/xtract-gui}"
[ -x "$DIST/xtract-gui" ] || { echo "no build at $DIST: run installer/build.sh first" >&2; exit 1; }
DEST="$HOME/.local/opt/xtract-gui"
rm -rf "$DEST.new" && mkdir -p "$(dirname "$DEST")" && cp -a "$DIST" "$DEST.new"
rm -rf "$DEST" && mv "$DEST.new" "$DEST"
mkdir -p "$HOME/.local/share/applications" "$HOME/.local/share/icons/hicolor/256x256/apps" "$HOME/.local/bin"
install -m 644 "$ROOT/installer/linux/xtract-gui.desktop" "$HOME/.local/share/applications/xtract-gui.desktop"
[ -f "$ROOT/assets/xtract-gui.png" ] && install -m 644 "$ROOT/assets/xtract-gui.png" \
  "$HOME/.local/share/icons/hicolor/256x256/apps/xtract-gui.png"
ln -sf "$DEST/xtract-gui" "$HOME/.local/bin/xtract-gui"
echo "installed to $DEST; start it from the applications menu or with: xtract-gui"
