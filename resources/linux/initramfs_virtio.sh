#!/usr/bin/env bash
# Put the VirtIO disk and network drivers into the initramfs of every installed kernel (with a backup).
# shellcheck disable=SC2317  # prelude helpers that this task does not call
TASK=linux.initramfs_virtio

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

# virtio_pci first: the disk and network drivers sit on it. virtio and virtio_ring were separate
# modules on older kernels and are pulled in as dependencies; we only list what a kernel ships.
BASE_MODULES="virtio_pci virtio_scsi virtio_blk virtio_net"
OLD_KERNEL_MODULES="virtio virtio_ring"
extra=$(param extra_modules | tr '\n' ' ')
REQUIRED="$BASE_MODULES $extra"
REBUILD_MARKER="$STATE_DIR/initramfs-rebuild-needed"

if root_has dracut; then tool=dracut
elif root_has update-initramfs; then tool=initramfs-tools
elif root_has mkinitrd; then tool=mkinitrd
else
  finish false "No initramfs tool (dracut, update-initramfs, mkinitrd) was found: install the distribution's one, then run the preparation again."
fi

module_dir() {
  if [ -d "$ROOT/lib/modules/$1" ]; then printf '%s' "/lib/modules/$1"; else printf '%s' "/usr/lib/modules/$1"; fi
}

# kind KVER MODULE: builtin | module | absent, from the kernel's own module lists.
module_kind() {
  local dir
  dir="$ROOT$(module_dir "$1")"
  if grep -q "/$2\.ko\$" "$dir/modules.builtin" 2>/dev/null; then echo builtin
  elif [ -n "$(find "$dir" -name "$2.ko*" -print -quit 2>/dev/null)" ]; then echo module
  else echo absent
  fi
}

image_for() {
  local candidate
  for candidate in "/boot/initrd.img-$1" "/boot/initramfs-$1.img" "/boot/initrd-$1"; do
    if [ -f "$ROOT$candidate" ]; then printf '%s' "$candidate"; return; fi
  done
  case $tool in
    initramfs-tools) printf '%s' "/boot/initrd.img-$1" ;;
    mkinitrd) printf '%s' "/boot/initrd-$1" ;;
    *) printf '%s' "/boot/initramfs-$1.img" ;;
  esac
}

list_image() {
  if root_has lsinitrd; then in_root lsinitrd "$1" 2>/dev/null
  elif root_has lsinitramfs; then in_root lsinitramfs "$1" 2>/dev/null
  else return 1
  fi
}

# missing_in IMAGE MODULES...: the modules whose .ko is not inside the image.
missing_in() {
  local image=$1 listing m out=""
  shift
  listing=$(list_image "$image") || { printf '%s' "$*"; return; }
  for m in "$@"; do
    if ! printf '%s\n' "$listing" | grep -q "/$m\.ko"; then out="$out $m"; fi
  done
  printf '%s' "${out# }"
}

rebuild() {
  case $tool in
    dracut) in_root dracut -f "$2" "$1" ;;
    initramfs-tools) in_root update-initramfs -u -k "$1" ;;
    mkinitrd) in_root mkinitrd -k "/boot/vmlinuz-$1" -i "$2" ;;
  esac
}

kernels=""
for d in "$ROOT"/lib/modules/*/ "$ROOT"/usr/lib/modules/*/; do
  [ -d "$d" ] || continue
  k=$(basename "$d")
  # Only kernels that can boot: a modules dir without a kernel image is a leftover of an uninstall.
  if [ -f "$ROOT/boot/vmlinuz-$k" ] || [ -f "$d/vmlinuz" ]; then
    case " $kernels " in *" $k "*) ;; *) kernels="$kernels $k" ;; esac
  fi
done
kernels=${kernels# }
if [ -z "$kernels" ]; then
  finish false "No installed kernel was found under /lib/modules with a matching /boot/vmlinuz: check the guest's kernel packages."
fi

# Persist the list in the tool's own configuration, so that later kernel updates keep the drivers.
all_modules=""
for m in $REQUIRED $OLD_KERNEL_MODULES; do
  for k in $kernels; do
    if [ "$(module_kind "$k" "$m")" = module ]; then
      case " $all_modules " in *" $m "*) ;; *) all_modules="$all_modules $m" ;; esac
      break
    fi
  done
done
all_modules=${all_modules# }
rc=0
case $tool in
  dracut)
    config=/etc/dracut.conf.d/xtract-virtio.conf
    # dracut.conf(5): add_drivers+=" ... " with spaces inside the quotes so lists concatenate.
    write_file "$config" "# Added by Xtract so the VM boots on Nutanix AHV (VirtIO disks and NICs).
add_drivers+=\" $all_modules \"" || rc=$?
    ;;
  initramfs-tools)
    config=/etc/initramfs-tools/modules
    current=$(cat "$ROOT$config" 2>/dev/null)
    wanted=$current
    for m in $all_modules; do
      if ! printf '%s\n' "$current" | grep -qx "[[:space:]]*${m}[[:space:]]*"; then wanted="$wanted
$m"
      fi
    done
    if [ "$wanted" != "$current" ]; then write_file "$config" "${wanted#$'\n'}" || rc=$?; fi
    ;;
  mkinitrd)
    config=/etc/sysconfig/kernel
    current=$(cat "$ROOT$config" 2>/dev/null)
    listed=$(printf '%s\n' "$current" | sed -n 's/^INITRD_MODULES="\(.*\)"$/\1/p')
    merged=$listed
    for m in $all_modules; do
      case " $listed " in *" $m "*) ;; *) merged="$merged $m" ;; esac
    done
    merged=${merged# }
    if [ "$merged" != "$listed" ]; then
      if printf '%s\n' "$current" | grep -q '^INITRD_MODULES='; then
        write_file "$config" "$(printf '%s\n' "$current" | sed "s/^INITRD_MODULES=.*/INITRD_MODULES=\"$merged\"/")" || rc=$?
      else
        write_file "$config" "$current
INITRD_MODULES=\"$merged\"" || rc=$?
      fi
    fi
    ;;
esac
if [ "$rc" -eq 2 ]; then finish false "Could not write $config: check free space and that / is not read-only."; fi

force_rebuild=false
if [ -f "$REBUILD_MARKER" ]; then force_rebuild=true; fi
kernels_json=""
failed=""
ready=0
for k in $kernels; do
  image=$(image_for "$k")
  need=""
  for m in $REQUIRED; do
    case $(module_kind "$k" "$m") in
      module) need="$need $m" ;;
      absent) warn "Kernel $k has no $m driver: it will not boot on AHV; boot a newer kernel before cutover." ;;
    esac
  done
  # shellcheck disable=SC2086  # word splitting of the module list is intended
  before=$(missing_in "$image" $need)
  rebuilt=false
  backup=""
  if [ -n "$before" ] || [ "$force_rebuild" = true ] || [ ! -f "$ROOT$image" ]; then
    log "Rebuilding $image for kernel $k (missing: ${before:-none})"
    backup_file "$image"
    [ -e "$BACKUP_DIR$image" ] && backup="${BACKUP_DIR#"$ROOT"}$image"
    if rebuild "$k" "$image" >&2; then
      rebuilt=true
      CHANGED=true
    else
      failed="$failed $k"
      if [ -n "$backup" ]; then cp -p -- "$BACKUP_DIR$image" "$ROOT$image"; fi
    fi
  fi
  # shellcheck disable=SC2086
  after=$(missing_in "$image" $need)
  if [ -z "$after" ] && [ -n "$need" ]; then ready=$((ready + 1)); fi
  if [ -n "$after" ]; then case " $failed " in *" $k "*) ;; *) failed="$failed $k" ;; esac; fi
  # shellcheck disable=SC2086
  kernels_json="$kernels_json,{\"version\":$(json_str "$k"),\"image\":$(json_str "$image"),\"rebuilt\":$rebuilt,\"backup\":$(json_str "$backup"),\"missing_before\":$(json_list $before),\"missing_after\":$(json_list $after)}"
done
rm -f -- "$REBUILD_MARKER"

# shellcheck disable=SC2086
data="{\"tool\":$(json_str "$tool"),\"modules\":$(json_list $all_modules),\"kernels\":[${kernels_json#,}],\"config\":$(json_str "$config")}"
count=$(echo "$kernels" | wc -w)
if [ -n "$failed" ]; then
  finish false "The initramfs of kernel(s)${failed} still lacks VirtIO drivers (the original image was kept): read the log above, fix the $tool error and run the preparation again." "$data"
fi
if [ "$ready" -eq 0 ]; then
  finish false "No installed kernel has the VirtIO drivers this VM needs to boot on AHV: install a kernel that ships virtio_scsi and virtio_blk." "$data"
fi
if [ "$CHANGED" = true ]; then
  finish true "Added the VirtIO drivers to the initramfs of $count kernel(s)." "$data"
fi
finish true "The initramfs of all $count kernel(s) already holds the VirtIO drivers." "$data"
