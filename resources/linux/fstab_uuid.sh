# Mount by UUID instead of device names and ids, on the kernel command line too, and keep LVM's disks.
TASK=linux.fstab_uuid

require_root
if [ ! -f "$ROOT/etc/fstab" ]; then finish true "This guest has no /etc/fstab; nothing to change." "{\"rewritten\":[]}"; fi

FSTAB=/etc/fstab
LVM_DEVICES=/etc/lvm/devices/system.devices
rewritten=""
unresolved=""
new=""
changed_lines=""
changed_fstab=false

# Names that change with the hypervisor: sdX/vdX follow the controller's enumeration, and by-id/by-path
# carry VMware's disk ids (scsi-36000c29…, wwn-…) and PCI paths, which AHV's disks do not have (SLES
# mounts "by device ID" by default).  LVM, /dev/mapper, UUID=, LABEL= and by-uuid/by-label are stable.
unstable() {
  case $1 in
    /dev/sd[a-z]* | /dev/hd[a-z]* | /dev/vd[a-z]* | /dev/xvd[a-z]* | /dev/disk/by-id/* | /dev/disk/by-path/*) return 0 ;;
  esac
  return 1
}

# uuid_of DEVICE: the file system (or swap) UUID, read live; "" offline or when it cannot be read.
uuid_of() {
  [ -z "$ROOT" ] && command -v blkid >/dev/null 2>&1 || return 0
  blkid -s UUID -o value "$(readlink -f "$1")" 2>/dev/null
}

while IFS= read -r line || [ -n "$line" ]; do
  src=$(printf '%s\n' "$line" | awk '{print $1}')
  if unstable "$src"; then
    uuid=$(uuid_of "$src")
    if [ -n "$uuid" ]; then
      mount_point=$(printf '%s\n' "$line" | awk '{print $2}')
      line=$(printf '%s\n' "$line" | awk -v u="UUID=$uuid" '{ sub(/^[ \t]*[^ \t]+/, u); print }')
      rewritten="$rewritten,{\"from\":$(json_str "$src"),\"to\":$(json_str "UUID=$uuid"),\"mount_point\":$(json_str "$mount_point")}"
      changed_lines="$changed_lines$line
"
      changed_fstab=true
    else
      unresolved="$unresolved $src"
    fi
  fi
  new="$new$line
"
done <"$ROOT$FSTAB"

for src in $unresolved; do
  warn "fstab names $src but its UUID could not be read (blkid); change it to UUID= by hand or the mount may fail on AHV."
done

fstab_backup=""
if [ "$changed_fstab" = true ]; then
  write_file "$FSTAB" "${new%$'\n'}"
  rc=$?
  if [ "$rc" -eq 2 ]; then finish false "Could not rewrite /etc/fstab: check free space and that / is writable."; fi
  fstab_backup="${BACKUP_DIR#"$ROOT"}$FSTAB"
  # mount(8) -f: parse and resolve each entry without mounting.  Only the lines we changed are checked:
  # an unrelated stale line (a disk removed long ago) must not roll back a correct rewrite.
  if [ -z "$ROOT" ]; then
    check=$(mktemp) || finish false "Could not create a temporary file to check the new fstab lines."
    printf '%s' "$changed_lines" >"$check"
    if ! mount -fav -T "$check" >&2; then
      rm -f -- "$check"
      cp -p -- "$BACKUP_DIR$FSTAB" "$ROOT$FSTAB"
      finish false "The rewritten /etc/fstab lines did not pass 'mount -fav', so the original was put back: check the entries listed above." \
        "{\"rewritten\":[],\"backup\":$(json_str "$fstab_backup")}"
    fi
    rm -f -- "$check"
  fi
fi

# The kernel command line: root= and resume= that name a device the same way vanish on AHV too (the
# initramfs waits for a disk that never comes).  Rewrite them where they are kept: GRUB's defaults
# (then the generated config), BLS entries and /etc/kernel/cmdline (RHEL 8+), Debian's resume config.
cmdline_json=""
fix_cmdline() {  # fix_cmdline FILE: rewrite root=/resume= values in it; prints nothing, sets CHANGED
  local f=$1 text out word dev uuid pattern
  [ -f "$ROOT$f" ] || return 0
  text=$(cat -- "$ROOT$f")
  out=$text
  for word in $(printf '%s\n' "$text" | grep -o '\(root\|resume\|RESUME\)=[^ "'"'"']*' | sort -u); do
    dev=${word#*=}
    unstable "$dev" || continue
    uuid=$(uuid_of "$dev")
    if [ -z "$uuid" ]; then warn "$f names $dev on the kernel command line but its UUID could not be read: change it to UUID= by hand."; continue; fi
    pattern=$(printf '%s' "$dev" | sed 's/[].[*^$\\#]/\\&/g')  # the device name as a literal in sed
    out=$(printf '%s\n' "$out" | sed "s#${word%%=*}=$pattern\\([ \"']\\|\$\\)#${word%%=*}=UUID=$uuid\\1#g")
    cmdline_json="$cmdline_json,{\"file\":$(json_str "$f"),\"from\":$(json_str "$word"),\"to\":$(json_str "${word%%=*}=UUID=$uuid")}"
  done
  if [ "$out" != "$text" ]; then write_file "$f" "$out" "$(stat -c %a "$ROOT$f")" || return 2; fi
  return 0
}
grub_defaults_changed=false
before=$CHANGED
CHANGED=false
fix_cmdline /etc/default/grub || finish false "Could not rewrite /etc/default/grub: check that / is writable."
grub_defaults_changed=$CHANGED
CHANGED=$before
for f in /etc/kernel/cmdline /etc/initramfs-tools/conf.d/resume "$ROOT"/boot/loader/entries/*.conf; do
  f=${f#"$ROOT"}
  fix_cmdline "$f" || finish false "Could not rewrite $f: check that / is writable."
done
if [ "$grub_defaults_changed" = true ]; then
  CHANGED=true
  generated=""
  for cfg in /boot/grub/grub.cfg /boot/grub2/grub.cfg; do [ -f "$ROOT$cfg" ] && generated=$cfg && break; done
  if root_has update-grub; then in_root update-grub >&2 || warn "update-grub failed: run it by hand before cutover."
  elif root_has grub2-mkconfig && [ -n "$generated" ]; then
    in_root grub2-mkconfig -o "$generated" >&2 || warn "grub2-mkconfig failed: run it by hand before cutover."
  elif [ -n "$generated" ]; then
    fix_cmdline "$generated" || warn "Could not rewrite $generated: run your GRUB config generator by hand."
  fi
fi

# RHEL 9 pins LVM physical volumes by WWID in the devices file; AHV disks have other WWIDs, so the
# volume groups would vanish. Without the file LVM scans every disk (lvmdevices(8)); the first
# boot on AHV re-creates it with vgimportdevices. The initramfs carries a copy: ask for a rebuild.
lvm_json="{\"present\":false}"
if [ -f "$ROOT$LVM_DEVICES" ]; then
  backup_file "$LVM_DEVICES"
  rm -f -- "$ROOT$LVM_DEVICES"
  mkdir -p "$STATE_DIR" && : >"$STATE_DIR/lvm-devices-moved" && : >"$STATE_DIR/initramfs-rebuild-needed"
  CHANGED=true
  lvm_json="{\"present\":true,\"action\":\"moved aside\",\"backup\":$(json_str "${BACKUP_DIR#"$ROOT"}$LVM_DEVICES")}"
elif [ -f "$STATE_DIR/lvm-devices-moved" ]; then
  lvm_json="{\"present\":true,\"action\":\"already moved aside\",\"backup\":$(json_str "${BACKUP_DIR#"$ROOT"}$LVM_DEVICES")}"
fi

data="{\"rewritten\":[${rewritten#,}],\"backup\":$(json_str "$fstab_backup"),\"kernel_cmdline\":[${cmdline_json#,}],\"lvm_devices_file\":$lvm_json}"
count=$(printf '%s' "${rewritten#,}" | grep -o '"from"' | wc -l)
if [ "$CHANGED" = true ]; then
  finish true "Rewrote $count fstab line(s) and the kernel command line to UUID= (LVM devices file: see data)." "$data"
fi
finish true "fstab and the kernel command line already use UUIDs or labels; nothing to change." "$data"
