# Pin each network interface's name and configuration to its MAC address; save its IP configuration.
TASK=linux.retain_ip

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

# set_netplan_mac FILE NAME MAC [RENAME]: add "match: macaddress" (+ "set-name" unless RENAME=no) under the
# ethernet entry.
set_netplan_mac() {
  awk -v name="$2" -v mac="$3" -v rename="${4:-yes}" '
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
        print pad "match:"; print pad "  macaddress: \"" mac "\""; if (rename == "yes") print pad "set-name: " name
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
  leased=""
  if [ "$live" = true ]; then
    # Static addresses are what the first boot must find again; leased ones (DHCP, SLAAC: "dynamic")
    # may legitimately differ on the new network, so they are kept apart.
    addresses=$(ip -o addr show dev "$name" 2>/dev/null | awk '($3 == "inet" || ($3 == "inet6" && / scope global/)) && !/ dynamic/ { print $4 }')
    leased=$(ip -o addr show dev "$name" 2>/dev/null | awk '($3 == "inet" || ($3 == "inet6" && / scope global/)) && / dynamic/ { print $4 }')
    if ip -o -4 addr show dev "$name" 2>/dev/null | grep -q ' dynamic'; then dhcp=true; fi
    gateways=$(ip route show default dev "$name" 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "via") print $(i + 1) }')
    routes=$(ip route show dev "$name" 2>/dev/null | awk '$1 != "default" && / via / { print $1 " via " $3 }')
  fi
  # A udev rule names the NIC by its MAC, so configurations bound to the name (ifupdown, SUSE ifcfg,
  # netplan/NetworkManager by name) follow it.  Never into the kernel's own eth* namespace: when AHV
  # enumerates the NICs in another order, eth1 already exists when the rule wants it, and the rename
  # fails; there, only configurations that match the MAC themselves are pinned.
  kernel_name=false
  case $name in eth[0-9]*) kernel_name=true ;; esac
  if [ "$kernel_name" = true ]; then
    pinned=""
    warn "$name is a kernel name (eth*): it is not renamed on AHV (that races with the kernel); configurations bound to the name rely on the NIC order, which the migration keeps."
  else
    pinned="udev"
    udev="${udev}SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", ATTR{address}==\"$mac\", ATTR{type}==\"1\", NAME=\"$name\"
"
  fi
  # SUSE (wicked) binds /etc/sysconfig/network/ifcfg-<name> by name only (ifcfg(5)): the udev name pins it.
  if [ -f "$ROOT/etc/sysconfig/network/ifcfg-$name" ] && [ "$kernel_name" = false ]; then pinned="$pinned suse-ifcfg"; fi

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
    rename=yes
    [ "$kernel_name" = true ] && rename=no
    if write_file "$rel" "$(set_netplan_mac "$rel" "$name" "$mac" "$rename")" 0600; then changed_configs="$changed_configs $rel"; fi
    pinned="$pinned netplan"
  done
  # shellcheck disable=SC2086  # lists are newline/space separated words on purpose
  nics_json="$nics_json,{\"mac\":$(json_str "$mac"),\"name\":$(json_str "$name"),\"dhcp\":$dhcp,\"addresses\":$(json_list $addresses),\"leased\":$(json_list $leased),\"gateways\":$(json_list $gateways),\"routes\":$(json_list $routes),\"pinned_by\":$(json_list $pinned)}"
done

if [ -n "$udev" ]; then
  write_file "$UDEV_RULE" "# Written by Xtract: keep each interface's name when the NIC model changes on Nutanix AHV.
${udev%$'\n'}"
fi

# cloud-init sees a new instance on AHV (another platform, another datasource or none): with networking
# enabled it renders a new network config (DHCP on the first NIC), dropping the static addresses and the
# MAC pins above, and it regenerates the SSH host keys.  As Nutanix Move does, turn its networking off;
# also keep the host keys, so the pinned key still identifies the guest.  Undo removes the file.
cloud_json="{\"present\":false}"
if [ -f "$ROOT/etc/cloud/cloud.cfg" ] || root_has cloud-init; then
  if write_file "$CLOUD_INIT_CFG" "# Written by Xtract for the move to Nutanix AHV; removed when the preparation is undone.
network: {config: disabled}
ssh_deletekeys: false"; then changed_configs="$changed_configs $CLOUD_INIT_CFG"; fi
  cloud_json="{\"present\":true,\"config\":$(json_str "$CLOUD_INIT_CFG"),\"network\":\"disabled\"}"
fi
# shellcheck disable=SC2086
capture="{\"nics\":[${nics_json#,}],\"dns_servers\":$(json_list $global_dns),\"search_list\":$(json_list $search_list),\"live\":$live}"
write_file "$NETWORK_FILE" "$capture" 0600
if [ "$live" = false ]; then
  warn "Addresses were not captured (offline root or no 'ip' tool); the configuration files keep them."
fi

# shellcheck disable=SC2086
data="{\"file\":$(json_str "$NETWORK_FILE"),\"nics\":[${nics_json#,}],\"udev_rule\":$(json_str "$UDEV_RULE"),\"configs_changed\":$(json_list $changed_configs),\"cloud_init\":$cloud_json}"
count=$(echo "$nics" | wc -w)
finish true "Pinned $count network interface(s) to their MAC address and saved their IP configuration." "$data"
