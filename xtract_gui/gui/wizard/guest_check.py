"""The guest credentials page's Test: the admin check of the VM's OS family, over the channel chosen for it.

Blocking (run it off the GUI thread).  SSH pins the guest's host key like a TLS certificate: a test of a guest
whose key is not pinned yet reads the key the guest offers and returns it for the person to accept
(``GuestTest.host_key``); nothing is sent before that.  VMware Tools guest operations use the vCenter session
the Source page opened.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from ... import resources
from ...domain.errors import ConfigurationError, GuestError, described
from ...domain.guest_tasks import GuestPhase, tasks_for
from ...domain.inventory import OsFamily, SourceVM
from ...domain.messages import Message, msg, raw
from ...domain.plan import GuestChannelKind
from ...engine.ports import GuestTarget
from .flow_answers import GuestAnswers


@dataclass(frozen=True)
class GuestTest:
    ok: bool | None  # None: nothing was run (a host key waits for the person's yes)
    message: Message
    host_key: str = ""  # SSH: the key the guest offers, to be shown and pinned
    address: str = ""


def address_of(vm: SourceVM, g: GuestAnswers) -> str:
    if g.channel is GuestChannelKind.WINRM:
        return g.winrm_host or (vm.guest_ips[0] if vm.guest_ips else "")
    if g.channel is GuestChannelKind.SSH:
        return g.ssh_host or (vm.guest_ips[0] if vm.guest_ips else "")
    return vm.vm_id


def test_guest(wiring: Any, source_platform: Any, vm: SourceVM, g: GuestAnswers,
               cancel: threading.Event | None = None, *, about: str = "") -> GuestTest:
    if g.channel is GuestChannelKind.NONE:
        return GuestTest(True, msg("guest.test.off", "Guest preparation is off for this VM."))
    if g.channel is GuestChannelKind.SSH and vm.guest_family is not OsFamily.LINUX:
        return GuestTest(False, msg("guest.test.ssh_linux", "SSH reaches Linux guests only; {vm} runs {os}.",
                                    vm=vm.name, os=vm.guest_full_name or vm.guest_family.value))
    host = address_of(vm, g)
    if g.channel in (GuestChannelKind.WINRM, GuestChannelKind.SSH) and not host:
        return GuestTest(False, msg("guest.test.no_address", "No IP address is known for {vm}; enter its address, or "
                                    "use VMware Tools.", vm=vm.name))
    if g.channel is GuestChannelKind.SSH and not g.ssh_host_key:
        key = wiring.probe_ssh_host_key(host, g.ssh_port or 22)
        return GuestTest(None, msg("guest.test.host_key", "Check the SSH host key of {vm} before trusting it.",
                                   vm=vm.name), host_key=key, address=f"{host}:{g.ssh_port or 22}")
    si_provider = None
    if g.channel is GuestChannelKind.VMTOOLS:
        if source_platform is None:
            return GuestTest(False, msg("guest.test.not_connected", "Connect to the source vCenter first (page 1)."))
        si_provider = wiring.service_instance_provider(source_platform)
        if si_provider is None:
            return GuestTest(False, msg("guest.test.no_guest_ops", "This source ({about}) offers no VMware Tools "
                                        "guest operations; use WinRM or SSH for {vm}.",
                                        about=about or type(source_platform).__name__, vm=vm.name))
    try:
        tasks = resources.load_manifest()
    except OSError as exc:
        raise GuestError(msg("guest.test.no_tasks", "The guest task list cannot be read ({why}).",
                             why=exc.strerror or str(exc)),
                         hint=msg("guest.test.reinstall", "Reinstall xtract-gui: its resources folder is "
                                  "incomplete.")) from exc
    prep = tasks_for(tasks, vm.guest_family, GuestPhase.PREP)
    admin = next((t for t in prep if t.id.endswith(("check_admin", "check_root"))), prep[0] if prep else None)
    if admin is None:
        return GuestTest(False, msg("guest.test.unsupported", "No guest tasks exist for {os} guests.",
                                    os=vm.guest_family.value))
    # The same loader as the engine: a task script runs only with its OS prelude in front of it.
    script = resources.load_script(admin.script)
    factory = wiring.guest_channel_factory(si_provider=si_provider)
    if factory is None:
        raise ConfigurationError(msg("guest.test.no_channels", "Guest channels are not available in this build."),
                                 hint=msg("guest.test.reinstall_short", "Reinstall xtract-gui."))
    port = g.ssh_port if g.channel is GuestChannelKind.SSH else g.winrm_port
    channel = factory.open(GuestTarget(vm_id=vm.vm_id, os_family=vm.guest_family.value, channel=g.channel.value,
                                       host=host, user=g.user, password=g.password, port=port, https=g.winrm_https,
                                       allow_http_ntlm=g.allow_http_ntlm, fingerprint=g.fingerprint,
                                       auth=g.winrm_auth, host_key=g.ssh_host_key, private_key=g.ssh_key))
    try:
        result = channel.run_task(admin, script, {}, timeout=float(admin.timeout_seconds), cancel=cancel)
    finally:
        channel.close()
    said = str(result.result.get("message") or result.result.get("detail") or result.stderr.strip())
    if result.ok:
        return GuestTest(True, msg("guest.test.ok", "The account can prepare the guest. {said}", said=raw(said))
                         if said else msg("guest.test.ok_plain", "The account can prepare the guest."))
    return GuestTest(False, msg("guest.test.failed", "The admin check failed: {said}", said=raw(said))
                     if said else msg("guest.test.failed_plain", "The admin check failed."))


def test_failure(exc: BaseException) -> GuestTest:
    """A test that could not run (no connection, refused login, changed host key) is a failed test with why."""
    return GuestTest(False, described(exc))

