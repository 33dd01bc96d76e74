#!/usr/bin/env bash
# README's first command: install xtract-gui from this checkout into its own virtual environment (.venv,
# created or reused; the same one tests/run.sh uses), then start it with the arguments given:
#   bash installer/start.sh --demo       the wizard on the embedded lab (headless demo without a screen)
#   bash installer/start.sh              the wizard for a real vCenter and Prism
#   bash installer/start.sh demo --vms 4 any other xtract-gui command
# Works with the system Python of Debian 12 / Ubuntu 24.04 (PEP 668: no pip outside a venv) and on macOS.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=installer/venv.sh
. installer/venv.sh
xtract_venv "" ""
exec "$VENV/bin/xtract-gui" "$@"
