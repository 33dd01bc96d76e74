# Cancelled migration: remove the first-boot unit and saved state; restore the original files on request.
TASK=linux.undo

# A cancelled migration: take the guest back to how it was before the preparation.
require_root

restore=$(param restore_backups false)

unit_removed=false
if [ -e "$ROOT$FIRSTBOOT_UNIT" ] || [ -L "$ROOT$FIRSTBOOT_WANTS" ]; then
  remove_firstboot_unit
  unit_removed=true
  CHANGED=true
  if [ -z "$ROOT" ] && command -v systemctl >/dev/null 2>&1; then systemctl daemon-reload >&2 || true; fi
fi
for f in firstboot.sh source-identity.json network.json firstboot-result.json initramfs-rebuild-needed; do
  if [ -e "$STATE_DIR/$f" ]; then rm -f -- "$STATE_DIR/$f"; CHANGED=true; fi
done
# cloud-init manages the network again (whether or not the other files are put back).
cloud_init_restored=false
if [ -e "$ROOT$CLOUD_INIT_CFG" ]; then rm -f -- "$ROOT$CLOUD_INIT_CFG"; cloud_init_restored=true; CHANGED=true; fi

restored=""
removed=""
rebuild=""
if is_true "$restore"; then
  # Files we edited go back from their backups; files we created go away.
  if [ -d "$BACKUP_DIR" ]; then
    while IFS= read -r b; do
      rel=${b#"$BACKUP_DIR"}
      if cp -p -- "$b" "$ROOT$rel"; then
        restored="$restored $rel"
        CHANGED=true
        case $rel in /etc/lvm/devices/*) rm -f -- "$STATE_DIR/lvm-devices-moved" ;; esac
        case $rel in /etc/dracut.conf.d/* | /etc/initramfs-tools/* | /etc/sysconfig/kernel) rebuild=yes ;; esac
      else
        warn "Could not restore $rel from $b: copy it back by hand."
      fi
    done < <(find "$BACKUP_DIR" -type f)
  fi
  if [ -f "$STATE_DIR/created-files" ]; then
    while IFS= read -r rel; do
      [ -n "$rel" ] || continue
      if [ -e "$ROOT$rel" ]; then rm -f -- "$ROOT$rel"; removed="$removed $rel"; CHANGED=true; fi
      case $rel in /etc/dracut.conf.d/*) rebuild=yes ;; esac
    done <"$STATE_DIR/created-files"
  fi
  # A removed dracut snippet with no saved image leaves the current image as it is: harmless
  # (extra drivers), so it is not rebuilt here; restored images came back with the backups.
  [ -n "$rebuild" ] && log "Initramfs configuration restored; the images were restored from their backups."
  rm -rf -- "$BACKUP_DIR" "$STATE_DIR/created-files"
fi
rmdir -- "$STATE_DIR" 2>/dev/null

# shellcheck disable=SC2086
data="{\"unit_removed\":$unit_removed,\"restored\":$(json_list $restored),\"removed\":$(json_list $removed),\"cloud_init_networking\":$cloud_init_restored}"
if [ "$CHANGED" = true ]; then
  finish true "Removed the first-boot task$(is_true "$restore" && echo " and put back the original files")." "$data"
fi
finish true "Nothing to undo: the guest holds no trace of the preparation." "$data"
