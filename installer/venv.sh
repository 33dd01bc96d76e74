# shellcheck shell=bash
# The checkout's own virtual environment, shared by the README's two commands (installer/start.sh and
# tests/run.sh). Source it from the checkout's top folder, then:  xtract_venv [EXTRAS] [IMPORTS]
#   EXTRAS   pip extras to install with the project, e.g. "test,installer" ("" for the app alone)
#   IMPORTS  Python modules that must import afterwards (else the install runs again)
# Sets VENV and PY. Idempotent: nothing is installed when the environment already holds this checkout's
# editable install for the current pyproject.toml/setup.py and the modules import.
#
# Why a venv: the system Python of Debian 12 and Ubuntu 24.04 refuses pip outside one (PEP 668,
# "externally-managed-environment"). Debian and Ubuntu ship venv/ensurepip in a separate package
# (python3.X-venv): installed here when running as root, else named in the error.

XTRACT_MIN_PYTHON="3.11"

xtract_say() { printf '%s\n' "xtract-gui setup: $*" >&2; }

# The first Python >= 3.11 among $PYTHON, python3, python3.13 … python3.11.
xtract_python() {
  local candidate
  for candidate in ${PYTHON:-} python3 python3.13 python3.12 python3.11; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  xtract_say "no Python >= $XTRACT_MIN_PYTHON found (python3 is $(python3 -V 2>&1 || echo missing))."
  xtract_say "Debian 12 / Ubuntu 24.04: sudo apt-get install python3 python3-venv; macOS: brew install python@3.12;"
  xtract_say "or set PYTHON=/path/to/python3.11 and run this again."
  return 1
}

# Debian/Ubuntu keep `venv` working only with python3.X-venv (ensurepip); install it or say how.
xtract_ensure_venv_module() {
  local python="$1" version package
  "$python" -c 'import ensurepip, venv' >/dev/null 2>&1 && return 0
  version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  package="python${version}-venv"
  if ! command -v apt-get >/dev/null 2>&1; then
    xtract_say "$python cannot create virtual environments (no ensurepip/venv); install your distribution's venv package."
    return 1
  fi
  if [ "$(id -u)" != 0 ]; then
    xtract_say "$python cannot create virtual environments: its package $package is not installed. Run:"
    xtract_say "  sudo apt-get install $package"
    xtract_say "then this command again."
    return 1
  fi
  xtract_say "installing $package (Debian/Ubuntu keep venv and ensurepip there)"
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$package" >&2
}

xtract_venv() {
  local extras="${1:-}" imports="${2:-}" python here stamp want spec
  VENV=${XTRACT_VENV:-.venv}
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    python=$(xtract_python) || return 1
    xtract_ensure_venv_module "$python" || return 1
    # --clear: a folder left by an earlier failed attempt (Debian's venv without ensurepip makes one with no pip).
    xtract_say "creating the virtual environment $VENV with $python"
    "$python" -m venv --clear "$VENV" || return 1
  fi
  PY="$(cd "$VENV" && pwd -P)/bin/python"
  # Reinstall when the install is another checkout's (an editable install elsewhere would make the CLI and
  # lint-imports look at the wrong tree), packaging changed (setup.py maps folders into the editable finder),
  # or a module the caller needs is missing.
  here=$(pwd -P)
  want="$here $(cat pyproject.toml setup.py | cksum)"  # cksum: POSIX, on macOS too (no sha256sum there)
  stamp="$VENV/.xtract-gui-installed"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] \
     || ! (cd / && "$PY" -c "import xtract_gui${imports:+, $imports}") >/dev/null 2>&1; then
    spec="."
    [ -n "$extras" ] && spec=".[$extras]"
    xtract_say "installing xtract-gui from $here into $VENV (pip install -e '$spec')"
    "$PY" -m pip install -q --disable-pip-version-check -e "$spec" || return 1
    printf '%s' "$want" > "$stamp"
  fi
}
