#!/usr/bin/env bash
# shellcheck disable=SC2317  # helpers that a task does not call
# The xtract guest-script prelude. The resource loader (xtract_gui.resources) puts this file in
# front of every linux/*.sh task script, so that the script a channel uploads runs by itself; the
# task body that follows sets TASK=<task id> before it calls anything below.
# --- xtract prelude (resources/linux/_prelude.sh) ---
# Contract (resources/README.md): params come as a JSON object in the file named by $1, which we
# delete at once because it may hold a secret; the last stdout line is one compact JSON result.
umask 022
export LC_ALL=C
XTRACT_ROOT=${XTRACT_ROOT:-/}
ROOT=${XTRACT_ROOT%/}
STATE_DIR="$ROOT/var/lib/xtract"
BACKUP_DIR="$STATE_DIR/backup"
CHANGED=false
WARN_JSON=""
PARAMS_JSON="{}"
if [ -n "${1:-}" ] && [ -f "$1" ]; then
  PARAMS_JSON=$(cat -- "$1")
  rm -f -- "$1"
fi

log() { printf '%s\n' "$*" >&2; }

# A JSON string literal for any text: escapes, control characters dropped, newlines as \n.
json_str() {
  printf '%s' "$1" | tr -d '\000-\010\013\014\016-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' |
    awk 'BEGIN { printf "\"" } { if (NR > 1) printf "\\n"; gsub(/\t/, "\\t"); gsub(/\r/, "\\r"); printf "%s", $0 }
         END { printf "\"" }'
}

# A JSON array of strings from the arguments.
json_list() {
  local out="" item
  for item in "$@"; do out="$out,$(json_str "$item")"; done
  printf '[%s]' "${out#,}"
}

warn() { log "WARNING: $*"; WARN_JSON="$WARN_JSON,$(json_str "$*")"; }

# finish OK MESSAGE [DATA_JSON]: print the result line and exit (0 when ok).
finish() {
  printf '{"task":%s,"ok":%s,"changed":%s,"message":%s,"warnings":[%s],"data":%s}\n' \
    "$(json_str "$TASK")" "$1" "$CHANGED" "$(json_str "$2")" "${WARN_JSON#,}" "${3:-{\}}"
  if [ "$1" = true ]; then exit 0; fi
  exit 1
}

# param NAME [DEFAULT]: a top-level value of the params object; strings unescaped, arrays of
# scalars one item per line, objects as raw JSON. Flat objects are all the engine sends us.
param() {
  local value
  value=$(printf '%s' "$PARAMS_JSON" | awk -v want="$1" '
    function hexval(h,   i, v) { v = 0; h = tolower(h)
      for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
      return v }
    function utf8(c) {
      if (c < 128) return sprintf("%c", c)
      if (c < 2048) return sprintf("%c%c", 192 + int(c / 64), 128 + c % 64)
      return sprintf("%c%c%c", 224 + int(c / 4096), 128 + int(c / 64) % 64, 128 + c % 64) }
    function ws() { while (pos <= n && index(" \t\r\n", substr(s, pos, 1))) pos++ }
    function str(   c, out) { pos++; out = ""
      while (pos <= n) { c = substr(s, pos, 1)
        if (c == "\"") { pos++; return out }
        if (c == "\\") { pos++; c = substr(s, pos, 1)
          if (c == "n") c = "\n"; else if (c == "t") c = "\t"; else if (c == "r") c = "\r"
          else if (c == "b") c = "\b"; else if (c == "f") c = "\f"
          else if (c == "u") { c = utf8(hexval(substr(s, pos + 1, 4))); pos += 4 } }
        out = out c; pos++ }
      return out }
    function raw(   depth, c, start, q) { start = pos; depth = 0; q = 0
      while (pos <= n) { c = substr(s, pos, 1)
        if (q) { if (c == "\\") pos++; else if (c == "\"") q = 0 }
        else if (c == "\"") q = 1
        else if (depth == 0 && index(",}] \t\r\n", c)) return substr(s, start, pos - start)
        else if (c == "{" || c == "[") depth++
        else if (c == "}" || c == "]") { depth--; if (depth == 0) { pos++; return substr(s, start, pos - start) } }
        pos++ }
      return substr(s, start) }
    function val(   out, sep, v) { ws()
      if (substr(s, pos, 1) == "\"") return str()
      if (substr(s, pos, 1) == "[") { pos++; out = ""; sep = ""
        while (pos <= n) { ws(); if (substr(s, pos, 1) == "]") { pos++; break }
          if (substr(s, pos, 1) == ",") { pos++; continue }
          v = val(); out = out sep v; sep = "\n" }
        return out }
      v = raw(); return (v == "null") ? "" : v }
    { s = s $0 "\n" }
    END { n = length(s); pos = 1; ws(); if (substr(s, pos, 1) != "{") exit; pos++
      while (pos <= n) { ws(); c = substr(s, pos, 1)
        if (c == "}") exit
        if (c == ",") { pos++; continue }
        k = str(); ws(); pos++; v = val()
        if (k == want) { printf "%s", v; exit } } }')
  if [ -z "$value" ]; then value=${2:-}; fi
  printf '%s' "$value"
}

is_true() { case "$1" in true | 1 | yes) return 0 ;; *) return 1 ;; esac; }

# Run a tool of the guest: directly on a live system, through chroot against an offline root.
in_root() {
  if [ -z "$ROOT" ]; then "$@"; else chroot "$ROOT" "$@"; fi
}

# root_has TOOL: the guest has this executable (looked up inside the root, not on the host).
root_has() {
  local d
  for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
    if [ -x "$ROOT$d/$1" ]; then return 0; fi
  done
  return 1
}

# backup_file /etc/x: keep the ORIGINAL once; later runs never overwrite it, so undo restores it.
backup_file() {
  if [ -e "$ROOT$1" ] && [ ! -e "$BACKUP_DIR$1" ]; then
    mkdir -p "$(dirname "$BACKUP_DIR$1")" && cp -p -- "$ROOT$1" "$BACKUP_DIR$1"
  fi
}

# write_file /etc/x CONTENT [MODE]: replace only when different (a second run changes nothing).
write_file() {
  local tmp
  if [ -f "$ROOT$1" ] && [ "$(cat -- "$ROOT$1")" = "$2" ]; then return 1; fi
  backup_file "$1" || return 2
  mkdir -p "$(dirname "$ROOT$1")" "$STATE_DIR" || return 2
  # Files we create (not edit) have no backup: remember them so that undo can delete them.
  case $1 in
    /var/lib/xtract/*) ;;
    *) if [ ! -e "$ROOT$1" ] && ! grep -qxF -- "$1" "$STATE_DIR/created-files" 2>/dev/null; then
         printf '%s\n' "$1" >>"$STATE_DIR/created-files"
       fi ;;
  esac
  tmp="$ROOT$1.xtract-new"
  printf '%s\n' "$2" >"$tmp" && chmod "${3:-0644}" "$tmp" && mv -f -- "$tmp" "$ROOT$1" || return 2
  CHANGED=true
  return 0
}

# Issue 21.2: the first-boot unit runs and reads what lives in $STATE_DIR as root at boot.  Nobody but
# root may own or be able to change it, nor any folder above it, nor anything planted in it before.
unsafe_state_dir() {
  local p=$STATE_DIR owner mode bad
  while [ -n "$p" ] && [ "$p" != "$ROOT" ] && [ "$p" != / ]; do
    if [ -L "$p" ]; then echo "$p is a symbolic link"; return 0; fi
    if [ -e "$p" ]; then
      owner=$(stat -c %u -- "$p")
      mode=$(stat -c %a -- "$p")
      if [ "$owner" != 0 ]; then echo "$p is owned by uid $owner, not root"; return 0; fi
      if [ $((0$mode & 022)) -ne 0 ]; then echo "$p is writable by group or others (mode $mode)"; return 0; fi
    fi
    p=$(dirname -- "$p")
  done
  if [ -d "$STATE_DIR" ]; then
    bad=$(find "$STATE_DIR" \( ! -uid 0 -o -perm /022 -o -type l \) -print -quit 2>/dev/null)
    if [ -n "$bad" ]; then echo "$bad is not root's alone (owner, mode or a link)"; return 0; fi
  fi
  return 1
}

require_root() {
  local why
  if [ "$(id -u)" != 0 ]; then
    finish false "This task needs root: run it as root or give the guest account passwordless sudo."
  fi
  if why=$(unsafe_state_dir); then
    finish false "Refused: $why, so another account could change what the first-boot unit runs as root. Remove or fix it (root-owned, mode 0755 or stricter) and run the preparation again."
  fi
}
# The first-boot unit: install_firstboot writes it; firstboot (once on AHV) and undo remove it.
FIRSTBOOT_UNIT=/etc/systemd/system/xtract-firstboot.service
FIRSTBOOT_WANTS=/etc/systemd/system/multi-user.target.wants/xtract-firstboot.service
remove_firstboot_unit() { rm -f -- "$ROOT$FIRSTBOOT_WANTS" "$ROOT$FIRSTBOOT_UNIT"; }
# retain_ip turns cloud-init's networking off for the move; undo removes it.
# shellcheck disable=SC2034  # used by retain_ip and undo
CLOUD_INIT_CFG=/etc/cloud/cloud.cfg.d/99-xtract-disable-network-config.cfg
# --- end of xtract prelude ---
