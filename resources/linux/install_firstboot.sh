# Install the systemd unit that checks the network at the first boot on AHV.
TASK=linux.install_firstboot

require_root

SCRIPT=/var/lib/xtract/firstboot.sh
IDENTITY=/var/lib/xtract/source-identity.json

script=$(param firstboot_script)
if [ -z "$script" ]; then
  finish false "The first-boot script was not sent (parameter firstboot_script is empty): this is a bug in the tool; report it."
fi
if [ ! -d "$ROOT/etc/systemd/system" ] && [ ! -d "$ROOT/lib/systemd/system" ] && [ ! -d "$ROOT/usr/lib/systemd/system" ]; then
  finish false "This guest does not use systemd, so the first-boot check cannot be installed: after cutover, check the network by hand."
fi
uuid=$(tr 'A-F' 'a-f' <"$ROOT/sys/class/dmi/id/product_uuid" 2>/dev/null)
if [ -z "$uuid" ]; then
  finish false "Could not read /sys/class/dmi/id/product_uuid (it needs root): run the preparation as root or with sudo."
fi
saved=$(sed -n 's/.*"product_uuid":"\([^"]*\)".*/\1/p' "$ROOT$IDENTITY" 2>/dev/null)
if [ -n "$saved" ] && [ "$saved" != "$uuid" ]; then
  warn "The saved source identity ($saved) differs from this machine ($uuid); keeping the saved one, as this looks like a re-run after cutover."
  uuid=$saved
fi
if [ ! -f "$STATE_DIR/network.json" ]; then
  warn "No saved network configuration yet (Retaining IP addresses did not run): the first boot will only report interfaces."
fi

rc=0
write_file "$SCRIPT" "$script" 0700 || rc=$?
write_file "$IDENTITY" "{\"product_uuid\":$(json_str "$uuid")}" || rc=$?
# Ordered after the network so it can report the addresses the restored configuration brought up.
write_file "$FIRSTBOOT_UNIT" "[Unit]
Description=Xtract first boot on Nutanix AHV (network check after migration)
ConditionPathExists=$IDENTITY
Wants=network-online.target
After=network-online.target local-fs.target

[Service]
Type=oneshot
ExecStart=/bin/bash $SCRIPT
TimeoutStartSec=900

[Install]
WantedBy=multi-user.target" || rc=$?
if [ "$rc" -eq 2 ]; then finish false "Could not write the first-boot files: check free space and that / is writable."; fi
# The symlink is what 'systemctl enable' makes; creating it ourselves also works on an offline root.
if [ "$(readlink "$ROOT$FIRSTBOOT_WANTS" 2>/dev/null)" != "$FIRSTBOOT_UNIT" ]; then
  if ! { mkdir -p "$(dirname "$ROOT$FIRSTBOOT_WANTS")" && ln -sfn "$FIRSTBOOT_UNIT" "$ROOT$FIRSTBOOT_WANTS"; }; then finish false "Could not enable $FIRSTBOOT_UNIT."; fi
  CHANGED=true
fi
if [ -z "$ROOT" ] && command -v systemctl >/dev/null 2>&1; then systemctl daemon-reload >&2 || true; fi

data="{\"unit\":$(json_str "$FIRSTBOOT_UNIT"),\"script\":$(json_str "$SCRIPT"),\"source_product_uuid\":$(json_str "$uuid"),\"enabled\":true}"
finish true "Installed xtract-firstboot.service; it acts only when the VM starts on AHV." "$data"
