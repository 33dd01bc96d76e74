# After cutover: remove open-vm-tools (or say how to remove tarball VMware Tools).
TASK=linux.remove_vmware_tools

# Runs on AHV after the target snapshot: the VM no longer needs VMware's agent.
require_root

PACKAGES="open-vm-tools-desktop open-vm-tools-sdmp open-vm-tools-containerinfo open-vm-tools"
installed=""
if root_has dpkg-query; then
  for p in $PACKAGES; do
    # shellcheck disable=SC2016  # ${Status} is dpkg-query's format, not ours
    if in_root dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then installed="$installed $p"; fi
  done
elif root_has rpm; then
  for p in $PACKAGES; do
    if in_root rpm -q "$p" >/dev/null 2>&1; then installed="$installed $p"; fi
  done
fi
installed=${installed# }

pm=none
for candidate in apt-get dnf yum zypper; do
  if root_has "$candidate"; then pm=$candidate; break; fi
done
tarball=false
if [ -e "$ROOT/usr/bin/vmware-uninstall-tools.pl" ] || [ -d "$ROOT/etc/vmware-tools" ] && [ -z "$installed" ]; then tarball=true; fi

if [ -n "$installed" ]; then
  log "Removing $installed with $pm"
  # shellcheck disable=SC2086  # package list
  case $pm in
    apt-get) in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $installed >&2 ;;
    dnf | yum) in_root "$pm" remove -y $installed >&2 ;;
    zypper) in_root zypper --non-interactive remove $installed >&2 ;;
    *) false ;;
  esac
  rc=$?
  # shellcheck disable=SC2086
  data="{\"package_manager\":$(json_str "$pm"),\"removed\":$(json_list $installed),\"vmware_tools_tarball\":$tarball}"
  if [ "$rc" -ne 0 ]; then
    finish false "$pm could not remove $installed (exit $rc): read the log above, then remove them by hand." "$data"
  fi
  CHANGED=true
  finish true "Removed $installed with $pm." "$data"
fi
data="{\"package_manager\":$(json_str "$pm"),\"removed\":[],\"vmware_tools_tarball\":$tarball}"
if [ "$tarball" = true ]; then
  finish false "VMware Tools were installed from VMware's tarball, not a package: run /usr/bin/vmware-uninstall-tools.pl on the VM." "$data"
fi
finish true "Neither open-vm-tools nor VMware Tools is installed." "$data"
