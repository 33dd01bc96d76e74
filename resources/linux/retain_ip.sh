#!/usr/bin/env bash
# Pin each network interface's name and configuration to its MAC address; save its IP configuration.
# shellcheck disable=SC2317  # prelude helpers that this task does not call
TASK=linux.retain_ip

# --- xtract prelude: identical in every linux/*.sh (tests/guest_scripts keeps the copies equal) ---
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

require_root() {
  if [ "$(id -u)" != 0 ]; then
    finish false "This task needs root: run it as root or give the guest account passwordless sudo."
  fi
}
# --- end of xtract prelude ---

require_root

NETWORK_FILE=/var/lib/xtract/network.json
UDEV_RULE=/etc/udev/rules.d/70-xtract-persistent-net.rules

# Physical NICs only: virtual ones (bridges, bonds, VLANs) have no "device" link in sysfs and are
# rebuilt by their own configuration on top of the renamed NICs.
nics=""
for d in "$ROOT"/sys/class/net/*/; do
  [ -e "$d/device" ] || continue
  name=$(basename "$d")
  mac=$(tr 'A-F' 'a-f' <"$d/address" 2>/dev/null)
  [ -n "$mac" ] && nics="$nics $name=$mac"
done
nics=${nics# }
if [ -z "$nics" ]; then
  finish false "No physical network interface was found in /sys/class/net: check that the VM has a NIC and that this runs on the guest itself."
fi

global_dns=$(sed -n 's/^[[:space:]]*nameserver[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' "$ROOT/etc/resolv.conf" 2>/dev/null)
search_list=$(sed -n 's/^[[:space:]]*search[[:space:]]\{1,\}//p' "$ROOT/etc/resolv.conf" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) print $i }')
live=false
if [ -z "$ROOT" ] && command -v ip >/dev/null 2>&1; then live=true; fi

# set_nm_mac FILE MAC: NetworkManager keyfile, [ethernet] mac-address= (nm-settings-keyfile(5)).
set_nm_mac() {
  awk -v mac="$2" '
    function put() { if (!done) { print "mac-address=" mac; done = 1 } }
    /^\[/ { if (in_eth) put(); in_eth = ($0 == "[ethernet]"); if (in_eth) seen = 1; print; next }
    in_eth && /^mac-address=/ { put(); next }
    { print }
    END { if (in_eth) put(); if (!seen) { print ""; print "[ethernet]"; print "mac-address=" mac } }' "$ROOT$1"
}

# set_netplan_mac FILE NAME MAC: add "match: macaddress" + "set-name" under the ethernet entry.
set_netplan_mac() {
  awk -v name="$2" -v mac="$3" '
    { line[NR] = $0 }
    END {
      for (i = 1; i <= NR; i++) {
        print line[i]
        if (done || line[i] !~ ("^[ ]+" name ":[ ]*$")) continue
        match(line[i], /^ */); ind = RLENGTH; cind = ind + 2; busy = 0
        for (j = i + 1; j <= NR; j++) {
          if (line[j] ~ /^[ ]*$/) continue
          match(line[j], /^ */); if (RLENGTH <= ind) break
          if (cind == ind + 2 && j == i + 1) cind = RLENGTH
          if (line[j] ~ /^[ ]*(match|macaddress|set-name):/) busy = 1
        }
        if (busy) continue
        pad = sprintf("%" cind "s", "")
        print pad "match:"; print pad "  macaddress: \"" mac "\""; print pad "set-name: " name
        done = 1
      }
    }' "$ROOT$1"
}

nics_json=""
udev=""
changed_configs=""
for pair in $nics; do
  name=${pair%%=*}
  mac=${pair#*=}
  addresses=""
  gateways=""
  routes=""
  dhcp=false
  if [ "$live" = true ]; then
    addresses=$(ip -o addr show dev "$name" 2>/dev/null | awk '$3 == "inet" || ($3 == "inet6" && $0 ~ / scope global/) { print $4 }')
    if ip -o -4 addr show dev "$name" 2>/dev/null | grep -q ' dynamic'; then dhcp=true; fi
    gateways=$(ip route show default dev "$name" 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "via") print $(i + 1) }')
    routes=$(ip route show dev "$name" 2>/dev/null | awk '$1 != "default" && / via / { print $1 " via " $3 }')
  fi
  pinned="udev"
  udev="${udev}SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", ATTR{address}==\"$mac\", ATTR{type}==\"1\", NAME=\"$name\"
"
  case $name in
    eth[0-9]*) warn "$name is a kernel-style name: renaming to it can race with the kernel on AHV; consider a predictable name." ;;
  esac

  upper=$(printf '%s' "$mac" | tr 'a-f' 'A-F')
  ifcfg=/etc/sysconfig/network-scripts/ifcfg-$name
  if [ -f "$ROOT$ifcfg" ]; then
    content=$(grep -v '^HWADDR=' "$ROOT$ifcfg"; echo "HWADDR=$upper")
    if write_file "$ifcfg" "$content"; then changed_configs="$changed_configs $ifcfg"; fi
    pinned="$pinned ifcfg"
  fi
  for f in "$ROOT"/etc/NetworkManager/system-connections/*; do
    if [ ! -f "$f" ] || ! grep -qx "interface-name=$name" "$f"; then continue; fi
    rel=${f#"$ROOT"}
    if write_file "$rel" "$(set_nm_mac "$rel" "$upper")" 0600; then changed_configs="$changed_configs $rel"; fi
    pinned="$pinned networkmanager"
  done
  for f in "$ROOT"/etc/netplan/*.yaml; do
    if [ ! -f "$f" ] || ! grep -q "^[[:space:]]\{1,\}$name:[[:space:]]*\$" "$f"; then continue; fi
    rel=${f#"$ROOT"}
    if write_file "$rel" "$(set_netplan_mac "$rel" "$name" "$mac")" 0600; then changed_configs="$changed_configs $rel"; fi
    pinned="$pinned netplan"
  done
  # shellcheck disable=SC2086  # lists are newline/space separated words on purpose
  nics_json="$nics_json,{\"mac\":$(json_str "$mac"),\"name\":$(json_str "$name"),\"dhcp\":$dhcp,\"addresses\":$(json_list $addresses),\"gateways\":$(json_list $gateways),\"routes\":$(json_list $routes),\"pinned_by\":$(json_list $pinned)}"
done

write_file "$UDEV_RULE" "# Written by Xtract: keep each interface's name when the NIC model changes on Nutanix AHV.
${udev%$'\n'}"
# shellcheck disable=SC2086
capture="{\"nics\":[${nics_json#,}],\"dns_servers\":$(json_list $global_dns),\"search_list\":$(json_list $search_list),\"live\":$live}"
write_file "$NETWORK_FILE" "$capture" 0600
if [ "$live" = false ]; then
  warn "Addresses were not captured (offline root or no 'ip' tool); the configuration files keep them."
fi

# shellcheck disable=SC2086
data="{\"file\":$(json_str "$NETWORK_FILE"),\"nics\":[${nics_json#,}],\"udev_rule\":$(json_str "$UDEV_RULE"),\"configs_changed\":$(json_list $changed_configs)}"
count=$(echo "$nics" | wc -w)
finish true "Pinned $count network interface(s) to their MAC address and saved their IP configuration." "$data"
