# Mount by UUID instead of device name, and keep LVM from losing its disks on AHV.
TASK=linux.fstab_uuid

require_root
if [ ! -f "$ROOT/etc/fstab" ]; then finish true "This guest has no /etc/fstab; nothing to change." "{\"rewritten\":[]}"; fi

FSTAB=/etc/fstab
LVM_DEVICES=/etc/lvm/devices/system.devices
rewritten=""
unresolved=""
new=""
changed_fstab=false

# Device names follow the controller (sdX on PVSCSI becomes sdX or vdX on AHV, in another order),
# so every /dev/sdX-style source becomes UUID=; LVM, /dev/mapper and by-* links are stable already.
while IFS= read -r line || [ -n "$line" ]; do
  src=$(printf '%s\n' "$line" | awk '{print $1}')
  case $src in
    /dev/sd[a-z]* | /dev/hd[a-z]* | /dev/vd[a-z]* | /dev/xvd[a-z]*)
      uuid=""
      if [ -z "$ROOT" ] && command -v blkid >/dev/null 2>&1; then uuid=$(blkid -s UUID -o value "$src" 2>/dev/null); fi
      if [ -n "$uuid" ]; then
        mount_point=$(printf '%s\n' "$line" | awk '{print $2}')
        line=$(printf '%s\n' "$line" | awk -v u="UUID=$uuid" '{ sub(/^[ \t]*[^ \t]+/, u); print }')
        rewritten="$rewritten,{\"from\":$(json_str "$src"),\"to\":$(json_str "UUID=$uuid"),\"mount_point\":$(json_str "$mount_point")}"
        changed_fstab=true
      else
        unresolved="$unresolved $src"
      fi
      ;;
  esac
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
  # mount(8) -f: parse and resolve every entry without mounting; a bad line rolls the file back.
  if [ -z "$ROOT" ] && ! mount -fav >&2; then
    cp -p -- "$BACKUP_DIR$FSTAB" "$ROOT$FSTAB"
    finish false "The rewritten /etc/fstab did not pass 'mount -fav', so the original was put back: check the entries listed above." \
      "{\"rewritten\":[],\"backup\":$(json_str "$fstab_backup")}"
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

data="{\"rewritten\":[${rewritten#,}],\"backup\":$(json_str "$fstab_backup"),\"lvm_devices_file\":$lvm_json}"
count=$(printf '%s' "${rewritten#,}" | grep -o '"from"' | wc -l)
if [ "$CHANGED" = true ]; then
  finish true "Rewrote $count fstab line(s) to UUID= (LVM devices file: see data)." "$data"
fi
finish true "fstab already mounts by UUID or label; nothing to change." "$data"
