#!/bin/bash
# The image's first boot from its own disk, on VMware-like hardware: build the initramfs the way the
# family does on an installed system (initramfs-tools MODULES=dep, dracut hostonly=yes), so that it holds
# the drivers of THIS hardware only (vmw_pvscsi, no VirtIO), as on a real VMware-born VM; then report
# what the builder checks on the serial console and power off.
# shellcheck disable=SC1091  # recipe.env is written by tests/images/build.py
set -uo pipefail
. /etc/xtract-lab/recipe.env
say() { printf 'XTRACT-FINISH: %s\n' "$*" >/dev/ttyS0; }
say "building the host-only initramfs ($FAMILY)"
kver=$(uname -r)
if [ "$FAMILY" = rhel ]; then
  printf 'hostonly="yes"\n' >/etc/dracut.conf.d/10-hostonly.conf
  dracut -f "/boot/initrd.img-$kver" "$kver" >/dev/null 2>&1 || say "dracut failed"
  listing=$(lsinitrd "/boot/initrd.img-$kver" 2>/dev/null)
else
  sed -i 's/^MODULES=.*/MODULES=dep/' /etc/initramfs-tools/initramfs.conf
  update-initramfs -u -k "$kver" >/dev/null 2>&1 || say "update-initramfs failed"
  listing=$(lsinitramfs "/boot/initrd.img-$kver" 2>/dev/null)
fi
# Wait for the network the image configures (cloud-init's, NetworkManager's, ifupdown's) to settle.
for _ in $(seq 1 60); do
  ip -o -4 addr show | grep -q "10.10.0.11/" && break
  sleep 2
done
{
  echo "XTRACT-REPORT-BEGIN"
  echo "kernel=$kver"
  for m in vmw_pvscsi ahci virtio_scsi virtio_pci virtio_blk; do
    if printf '%s\n' "$listing" | grep -q "/$m\.ko"; then echo "initramfs.$m=yes"; else echo "initramfs.$m=no"; fi
  done
  ip -o addr show | awk '$2 != "lo" { print "addr." $2 "=" $4 }'
  for k in /etc/ssh/ssh_host_*_key.pub; do echo "hostkey.$(cut -d' ' -f1 "$k")=$(ssh-keygen -lf "$k" | cut -d' ' -f2)"; done
  echo "sshd=$(systemctl is-active ssh)"
  echo "failed=$(systemctl --failed --plain --no-legend | awk '{ print $1 }' | tr '\n' ' ')"
  echo "XTRACT-REPORT-END"
} >/dev/ttyS0 2>&1
rm -f /etc/xtract-lab/finish-pending /etc/systemd/system/multi-user.target.wants/xtract-finish.service
sync
systemctl poweroff
