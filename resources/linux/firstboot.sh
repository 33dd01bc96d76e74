# First boot on AHV: check that every NIC came back under its old name with its addresses.
TASK=linux.firstboot

# Started by xtract-firstboot.service at every boot until it has run on the target. It compares the
# DMI product UUID with the one saved on the source: on ESXi it does nothing and stays installed.
require_root

RESULT=/var/lib/xtract/firstboot-result.json
wait_seconds=$(param wait_seconds 300)

saved=$(sed -n 's/.*"product_uuid":"\([^"]*\)".*/\1/p' "$STATE_DIR/source-identity.json" 2>/dev/null)
current=$(tr 'A-F' 'a-f' <"$ROOT/sys/class/dmi/id/product_uuid" 2>/dev/null)
if [ -z "$saved" ] || [ -z "$current" ]; then
  finish false "The source identity or this machine's product UUID cannot be read; run 'Installing the first-boot task' again."
fi
if [ "$saved" = "$current" ]; then
  finish true "Still on the source VM ($current); nothing to do." "{\"on_target\":false}"
fi
log "On the target: product UUID $current differs from the source's $saved."

# One saved NIC object per line (retain_ip writes "mac" first and nests only string arrays).
saved_nics=$(tr -d '\n' <"$STATE_DIR/network.json" 2>/dev/null |
  sed -e 's/^.*"nics":\[//' -e 's/}\],"dns_servers".*$/}/' -e 's/},{"mac"/}\n{"mac"/g')
current_name_of() {
  local d
  for d in "$ROOT"/sys/class/net/*/; do
    # Bridges, bonds and VLANs carry their port's MAC: only a device-backed NIC counts.
    [ -e "$d/device" ] || continue
    if [ "$(tr 'A-F' 'a-f' <"$d/address" 2>/dev/null)" = "$1" ]; then basename "$d"; return; fi
  done
}

# AHV brings the VirtIO NICs up asynchronously; give them time before judging.
deadline=$(($(date +%s) + wait_seconds))
while :; do
  missing=0
  while IFS= read -r obj; do
    mac=$(printf '%s' "$obj" | sed -n 's/.*"mac":"\([^"]*\)".*/\1/p')
    [ -n "$mac" ] && [ -z "$(current_name_of "$mac")" ] && missing=$((missing + 1))
  done <<<"$saved_nics"
  [ "$missing" -eq 0 ] || [ "$(date +%s)" -ge "$deadline" ] && break
  sleep 5
done

errors=""
nics_json=""
while IFS= read -r obj; do
  mac=$(printf '%s' "$obj" | sed -n 's/.*"mac":"\([^"]*\)".*/\1/p')
  [ -n "$mac" ] || continue
  name=$(printf '%s' "$obj" | sed -n 's/.*"name":"\([^"]*\)".*/\1/p')
  wanted=$(printf '%s' "$obj" | sed -n 's/.*"addresses":\[\([^]]*\)\].*/\1/p' | tr -d '"' | tr ',' ' ')
  now=$(current_name_of "$mac")
  addresses=""
  if [ -n "$now" ] && [ -z "$ROOT" ] && command -v ip >/dev/null 2>&1; then
    addresses=$(ip -o addr show dev "$now" 2>/dev/null | awk '$3 == "inet" || ($3 == "inet6" && / scope global/) { print $4 }')
  fi
  restored=true
  if [ -z "$now" ]; then
    restored=false
    errors="$errors,$(json_str "No interface with MAC $mac appeared within ${wait_seconds}s: check that the AHV VM kept the source MAC addresses.")"
  elif [ "$now" != "$name" ]; then
    restored=false
    errors="$errors,$(json_str "The interface with MAC $mac is named $now instead of $name: its configuration will not apply; rename it or edit the configuration.")"
  elif [ -z "$ROOT" ]; then
    for a in $wanted; do
      if ! printf '%s\n' "$addresses" | grep -qx "$a"; then
        restored=false
        errors="$errors,$(json_str "$name is up but does not hold $a: check its configuration and the AHV subnet.")"
      fi
    done
  fi
  # shellcheck disable=SC2086
  nics_json="$nics_json,{\"mac\":$(json_str "$mac"),\"name\":$(json_str "$name"),\"restored\":$restored,\"addresses\":$(json_list $addresses)}"
done <<<"$saved_nics"

# Undo what fstab_uuid moved aside: pin the (new) AHV disks in the LVM devices file.
if [ -f "$STATE_DIR/lvm-devices-moved" ] && root_has vgimportdevices; then
  if in_root vgimportdevices -a >&2; then rm -f -- "$STATE_DIR/lvm-devices-moved"
  else errors="$errors,$(json_str "vgimportdevices -a failed: LVM works without a devices file; run it by hand later.")"
  fi
fi

ok=true
[ -n "$errors" ] && ok=false
result="{\"ok\":$ok,\"on_target\":true,\"nics\":[${nics_json#,}],\"disks_onlined\":[],\"errors\":[${errors#,}],\"finished_at\":$(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)")}"
write_file "$RESULT" "$result" 0644
# Done on the target: never run again.
remove_firstboot_unit
if [ -z "$ROOT" ] && command -v systemctl >/dev/null 2>&1; then systemctl daemon-reload >&2 || true; fi
CHANGED=true
if [ "$ok" = true ]; then finish true "On AHV: the network interfaces came up with their old names." "$result"; fi
finish false "On AHV, some network interfaces were not restored: see errors." "$result"
