# Is this root (or sudo)? Which distribution, package manager, initramfs tool and init system?
TASK=linux.check_root

require_root

# os-release is shell-quoted KEY=value; read it without sourcing it (it is data, not code).
os_field() {
  local f
  for f in "$ROOT/etc/os-release" "$ROOT/usr/lib/os-release"; do
    if [ -f "$f" ]; then
      sed -n "s/^$1=//p" "$f" | head -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'\$/\1/"
      return
    fi
  done
}

os_id=$(os_field ID)
os_like=$(os_field ID_LIKE)
os_version=$(os_field VERSION_ID)
os_pretty=$(os_field PRETTY_NAME)
case " $os_id $os_like " in
  *" debian "* | *" ubuntu "*) family=debian ;;
  *" rhel "* | *" fedora "* | *" centos "*) family=rhel ;;
  *" suse "* | *" sles "* | *" opensuse "*) family=suse ;;
  *) family=unknown ;;
esac

package_manager=none
for pm in apt-get dnf yum zypper; do
  if root_has "$pm"; then package_manager=$pm; break; fi
done

initramfs_tool=none
if root_has dracut; then initramfs_tool=dracut
elif root_has update-initramfs; then initramfs_tool=initramfs-tools
elif root_has mkinitrd; then initramfs_tool=mkinitrd
fi

init=other
if [ -d "$ROOT/run/systemd/system" ] || [ -x "$ROOT/lib/systemd/systemd" ] || [ -x "$ROOT/usr/lib/systemd/systemd" ]; then
  init=systemd
fi

if [ -z "$ROOT" ]; then
  kernel=$(uname -r)
else
  kernel=$(for d in "$ROOT"/lib/modules/*/; do basename "$d"; done | sort -V | tail -n 1)
fi

if [ "$family" = unknown ]; then
  warn "Distribution '${os_id:-unknown}' is not one we have tested; the VirtIO and network steps may need checking by hand."
fi
if [ "$initramfs_tool" = none ]; then
  warn "No dracut, update-initramfs or mkinitrd found: the VirtIO drivers cannot be added to the initramfs."
fi
if [ "$init" != systemd ]; then
  warn "This guest does not use systemd: the first-boot check after cutover cannot be installed."
fi

data=$(printf '{"uid":0,"via_sudo":%s,"sudo_user":%s,"os_id":%s,"os_id_like":%s,"os_version_id":%s,"os_pretty_name":%s,"family":%s,"package_manager":%s,"initramfs_tool":%s,"init":%s,"kernel":%s}' \
  "$([ -n "${SUDO_USER:-}" ] && echo true || echo false)" "$(json_str "${SUDO_USER:-}")" "$(json_str "$os_id")" \
  "$(json_str "$os_like")" "$(json_str "$os_version")" "$(json_str "$os_pretty")" "$(json_str "$family")" \
  "$(json_str "$package_manager")" "$(json_str "$initramfs_tool")" "$(json_str "$init")" "$(json_str "$kernel")")
finish true "Running as root on ${os_pretty:-an unknown distribution}." "$data"
