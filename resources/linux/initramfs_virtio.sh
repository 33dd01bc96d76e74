# Put the VirtIO disk and network drivers into the initramfs of every installed kernel (with a backup).
TASK=linux.initramfs_virtio

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

# The kernel config symbol of each driver, for kernels whose modules.builtin is missing.
config_symbol() {
  case $1 in
    virtio_pci) echo CONFIG_VIRTIO_PCI ;;
    virtio_scsi) echo CONFIG_SCSI_VIRTIO ;;
    virtio_blk) echo CONFIG_VIRTIO_BLK ;;
    virtio_net) echo CONFIG_VIRTIO_NET ;;
    virtio) echo CONFIG_VIRTIO ;;
    virtio_ring) echo CONFIG_VIRTIO ;;
    *) echo "CONFIG_$(printf '%s' "$1" | tr '[:lower:]' '[:upper:]')" ;;
  esac
}

# kind KVER MODULE: builtin | module | absent, from the kernel's own lists (modules.builtin, else its
# config: Ubuntu's generic kernels build the VirtIO drivers in, =y).
module_kind() {
  local dir
  dir="$ROOT$(module_dir "$1")"
  if grep -q "/$2\.ko\$" "$dir/modules.builtin" 2>/dev/null \
     || grep -qx "$(config_symbol "$2")=y" "$ROOT/boot/config-$1" "$dir/config" 2>/dev/null; then echo builtin
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

# The kernel that boots next: the running one on a live system, else the newest installed.
default_kernel=$(uname -r 2>/dev/null)
if [ -n "$ROOT" ] || ! case " $kernels " in *" $default_kernel "*) true ;; *) false ;; esac; then
  # shellcheck disable=SC2086  # one kernel per word
  default_kernel=$(printf '%s\n' $kernels | sort -V | tail -n 1)
fi

force_rebuild=false
if [ -f "$REBUILD_MARKER" ]; then force_rebuild=true; fi
kernels_json=""
failed=""
not_ready=""
ready=0
for k in $kernels; do
  image=$(image_for "$k")
  need=""
  absent=""
  for m in $REQUIRED; do
    case $(module_kind "$k" "$m") in
      module) need="$need $m" ;;
      absent) absent="$absent $m" ;;
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
  # Ready: every driver is built into the kernel or inside its initramfs.
  if [ -z "$after" ] && [ -z "$absent" ]; then
    ready=$((ready + 1))
  else
    not_ready="$not_ready $k"
    if [ -n "$after" ]; then case " $failed " in *" $k "*) ;; *) failed="$failed $k" ;; esac; fi
  fi
  if [ -n "$absent" ]; then
    if [ "$k" = "$default_kernel" ]; then
      failed="$failed $k"
    else
      warn "Kernel $k has no${absent} driver: it cannot boot on AHV; the default kernel $default_kernel is used."
    fi
  fi
  # shellcheck disable=SC2086
  kernels_json="$kernels_json,{\"version\":$(json_str "$k"),\"image\":$(json_str "$image"),\"rebuilt\":$rebuilt,\"backup\":$(json_str "$backup"),\"missing_before\":$(json_list $before),\"missing_after\":$(json_list $after)}"
done
rm -f -- "$REBUILD_MARKER"

# shellcheck disable=SC2086
data="{\"tool\":$(json_str "$tool"),\"modules\":$(json_list $all_modules),\"kernels\":[${kernels_json#,}],\"config\":$(json_str "$config")}"
count=$(echo "$kernels" | wc -w)
# Only the kernel that boots next must be ready; an older one that could not be rebuilt is a warning.
case " $failed " in
  *" $default_kernel "*)
    if [ "$(module_kind "$default_kernel" virtio_scsi)" = absent ]; then
      finish false "The kernel that boots next ($default_kernel) has no VirtIO disk driver: install a kernel that ships virtio_scsi and virtio_blk (or boot one that does), then run the preparation again." "$data"
    fi
    finish false "The initramfs of the kernel that boots next ($default_kernel) still lacks VirtIO drivers (the original image was kept): read the log above, fix the $tool error and run the preparation again." "$data" ;;
esac
for k in $not_ready; do
  [ "$k" = "$default_kernel" ] || warn "Kernel $k is not ready for AHV (see data.kernels); boot $default_kernel there."
done
if [ "$ready" -eq 0 ]; then
  finish false "No installed kernel has the VirtIO drivers this VM needs to boot on AHV: install a kernel that ships virtio_scsi and virtio_blk." "$data"
fi
if [ "$CHANGED" = true ]; then
  finish true "Added the VirtIO drivers to the initramfs of $count kernel(s)." "$data"
fi
finish true "The initramfs of all $count kernel(s) already holds the VirtIO drivers." "$data"
