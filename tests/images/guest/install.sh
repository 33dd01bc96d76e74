#!/bin/bash
# The image builder's installer, run inside the guest on VMware-like hardware (PVSCSI, vmxnet3) from the
# installer disk (root=LABEL=xtract-inst, xtract.install on the kernel command line), like a distribution
# installer: it partitions the VM's own disks, copies this root onto them, writes fstab and GRUB the way
# the family's installer would, and powers off.  The first boot from the disk (finish.sh) then builds the
# host-only initramfs on this hardware.
# shellcheck disable=SC1091  # recipe.env is written by tests/images/build.py
set -euo pipefail
. /etc/xtract-lab/recipe.env
say() { printf 'XTRACT-INSTALL: %s\n' "$*" >/dev/ttyS0; }
trap 'say "FAILED at line $LINENO"' ERR
# Whatever happens, the VM powers off: the builder waits for that, then reads this console.
# shellcheck disable=SC2154  # rc is set inside the trap
trap 'rc=$?; if [ "$rc" -ne 0 ]; then say "FAILED ($rc)"; sleep 2; systemctl poweroff; fi' EXIT

say "installing family $FAMILY ($FIRMWARE)"
udevadm settle
# The VM's disks by their world-wide names: SATA and SCSI disks are both sdX, in probe order.
# by_wwn WWN: the disk whose by-id link ends with it (wwn-0x…, scsi-3…, or an NVMe disk's serial).
by_wwn() {
  local l
  for l in /dev/disk/by-id/*"${1#0x}"; do [ -e "$l" ] && readlink -f "$l" && return 0; done
  echo "/dev/disk/by-id/*${1#0x}"
}
ROOT_DISK=$(by_wwn "$ROOT_WWN")
DATA_DISK=$(by_wwn "$DATA_WWN")
part() { case $1 in *[0-9]) printf '%sp%s' "$1" "$2" ;; *) printf '%s%s' "$1" "$2" ;; esac; }
for d in "$ROOT_DISK" "$DATA_DISK"; do [ -b "$d" ] || { say "no $d"; exit 1; }; done

# partition DISK LAYOUT: udev's probes (blkid, LVM's pvscan) may hold a fresh disk open, which sfdisk's
# "in use" check (a re-read of the table) takes for a mounted disk: skip that check, then tell the kernel
# about the new partitions ourselves.
partition() {
  local i
  for i in 1 2 3 4 5 6; do
    udevadm settle
    if printf '%b' "$2" | sfdisk -q --no-reread "$1"; then
      partx -u "$1" 2>/dev/null || partx -a "$1" 2>/dev/null || true
      udevadm settle
      return 0
    fi
    sleep "$i"
  done
  return 1
}
if [ "$FIRMWARE" = uefi ]; then
  partition "$ROOT_DISK" 'label: gpt\nsize=100MiB, type=uefi\ntype=linux\n'
  ESP=$(part "$ROOT_DISK" 1) ROOTPART=$(part "$ROOT_DISK" 2)
elif [ "$FAMILY" = rhel ]; then
  partition "$ROOT_DISK" 'label: dos\nsize=300MiB, type=83, bootable\ntype=8e\n'
  BOOTPART=$(part "$ROOT_DISK" 1) ROOTPART=$(part "$ROOT_DISK" 2)
else
  partition "$ROOT_DISK" 'label: dos\ntype=83, bootable\n'
  ROOTPART=$(part "$ROOT_DISK" 1)
fi
partition "$DATA_DISK" 'label: dos\ntype=83\n'
udevadm settle

if [ "$FAMILY" = rhel ]; then
  pvcreate -q -y "$ROOTPART"
  vgcreate -q rhel "$ROOTPART"
  lvcreate -q -y -n root -l 100%FREE rhel
  udevadm settle
  ROOTDEV=/dev/mapper/rhel-root
  mkfs.ext4 -q -L boot "$BOOTPART"
else
  ROOTDEV=$ROOTPART
fi
mkfs.ext4 -q -L root "$ROOTDEV"
mkfs.ext4 -q -L data "${DATA_DISK}1"
udevadm settle

mount "$ROOTDEV" /mnt
if [ -n "${BOOTPART:-}" ]; then mkdir -p /mnt/boot && mount "$BOOTPART" /mnt/boot; fi
if [ -n "${ESP:-}" ]; then
  mkfs.vfat -n EFI "$ESP" >/dev/null
  mkdir -p /mnt/boot/efi && mount "$ESP" /mnt/boot/efi
fi
say "copying the root"
# Each top-level entry on its own, keeping owners, modes, links, xattrs (-a) and staying on the root's
# file system (-x); mount points (/proc, /sys, /dev, /run, /tmp) come as empty folders; /mnt is the target.
for entry in /* /.[!.]*; do
  [ -e "$entry" ] || [ -L "$entry" ] || continue
  [ "$entry" = /mnt ] && continue
  if mountpoint -q -- "$entry"; then mkdir -p "/mnt$entry"; continue; fi
  cp -ax -- "$entry" /mnt/
done
mkdir -p /mnt/mnt
# The installer's own pieces go.
rm -f /mnt/etc/systemd/system/multi-user.target.wants/xtract-install.service
rm -rf /mnt/etc/xtract-lab/seed

# by_link DEV PREFIX: the /dev/disk/... link of DEV that starts with PREFIX (udev's own names).
by_link() { udevadm info -q symlink "$1" | tr ' ' '\n' | grep "^$2" | head -n 1; }
uuid_of() { blkid -s UUID -o value "$1"; }
case $FAMILY in
  debian)  # Debian's installer mounts by UUID; the data disk was added later by its VMware disk id.
    {
      echo "UUID=$(uuid_of "$ROOTDEV") / ext4 errors=remount-ro 0 1"
      echo "/dev/$(by_link "${DATA_DISK}1" disk/by-id/wwn-) /data ext4 defaults 0 2"
    } >/mnt/etc/fstab ;;
  rhel)  # root on LVM, /boot by UUID, and one line by device name as an administrator wrote it.
    {
      echo "/dev/mapper/rhel-root / ext4 defaults 0 1"
      echo "UUID=$(uuid_of "$BOOTPART") /boot ext4 defaults 0 2"
      # The name the data disk has on the VM's own hardware (PVSCSI targets 0 and 1, scanned in order: sdb),
      # not the one it has now: this boot also has the installer's disk, and the probe order of the two
      # controllers varies (a build that wrote /dev/sdc1 went to emergency mode on its first boot).
      echo "/dev/sdb1 /data ext4 defaults 0 2"
    } >/mnt/etc/fstab ;;
  ubuntu)  # mount by device id (SLES' default), the data disk by its PCI path.
    {
      echo "/dev/$(by_link "$ROOTDEV" disk/by-id/nvme-QEMU) / ext4 errors=remount-ro 0 1"
      echo "UUID=$(uuid_of "$ESP") /boot/efi vfat umask=0077 0 1"
      echo "/dev/$(by_link "${DATA_DISK}1" disk/by-path/) /data ext4 defaults 0 2"
    } >/mnt/etc/fstab ;;
esac
cmdline="console=ttyS0,115200n8"
case $FAMILY in
  rhel) cmdline="$cmdline rd.lvm.lv=rhel/root" ;;
  ubuntu) cmdline="$cmdline root=/dev/$(by_link "$ROOTDEV" disk/by-id/nvme-QEMU)" ;;
esac
cat >/mnt/etc/default/grub <<EOF
GRUB_DEFAULT=0
GRUB_TIMEOUT=0
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="$cmdline"
GRUB_TERMINAL=serial
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
EOF
# The cloud-init seed the source hypervisor presents (ubuntu family): a vfat disk labelled CIDATA.
if [ -d /etc/xtract-lab/seed ]; then
  seed=$(by_wwn "$SEED_WWN")
  mkfs.vfat -n CIDATA "$seed" >/dev/null
  mkdir -p /run/seed && mount "$seed" /run/seed && cp /etc/xtract-lab/seed/* /run/seed/ && umount /run/seed
fi
mkdir -p /mnt/data
mount "${DATA_DISK}1" /mnt/data
echo "data disk of the $FAMILY lab image" >/mnt/data/README
umount /mnt/data

for fs in dev proc sys; do mount --bind "/$fs" "/mnt/$fs"; done
if [ "$FIRMWARE" = uefi ]; then
  chroot /mnt grub-install --target=x86_64-efi --efi-directory=/boot/efi --removable --no-nvram
else
  chroot /mnt grub-install --target=i386-pc "$ROOT_DISK"
fi
chroot /mnt grub-mkconfig -o /boot/grub/grub.cfg
touch /mnt/etc/xtract-lab/finish-pending
ln -sf /etc/systemd/system/xtract-finish.service /mnt/etc/systemd/system/multi-user.target.wants/xtract-finish.service
for fs in sys proc dev; do umount "/mnt/$fs"; done
if [ -n "${ESP:-}" ]; then umount /mnt/boot/efi; fi
if [ -n "${BOOTPART:-}" ]; then umount /mnt/boot; fi
umount /mnt
if [ "$FAMILY" = rhel ]; then vgchange -q -an rhel; fi
sync
say "done"
systemctl poweroff
