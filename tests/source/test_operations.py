"""Power, guest shutdown, NIC disconnection and annotation: what cutover does to the source."""

from __future__ import annotations

import pytest

from xtract_gui.domain.inventory import PowerState
from xtract_gui.source import VSphereSource

pytestmark = pytest.mark.vcsim


def test_power_off_and_on(source: VSphereSource) -> None:
    vm = source.inventory().vms[0]
    source.power_off(vm.vm_id)
    assert source.wait_for_power_state(vm.vm_id, "off", timeout=10)
    assert source.get_vm(vm.vm_id).power_state is PowerState.OFF
    source.power_off(vm.vm_id)  # already off: not an error
    assert source.wait_for_power_state(vm.vm_id, "on", timeout=0.3) is False
    source.power_on(vm.vm_id)
    assert source.wait_for_power_state(vm.vm_id, "on", timeout=10)
    source.power_on(vm.vm_id)


def test_guest_shutdown(source: VSphereSource) -> None:
    vm = source.inventory().vms[1]
    source.shutdown_guest(vm.vm_id)
    assert source.wait_for_power_state(vm.vm_id, "off", timeout=10)
    source.shutdown_guest(vm.vm_id)  # already off: nothing to do


def test_disconnect_and_reconnect_nics(source: VSphereSource) -> None:
    vm = source.inventory().vms[0]
    assert len(vm.nics) == 2
    source.power_off(vm.vm_id)
    source.set_nics_connected(vm.vm_id, False)
    nics = source.get_vm(vm.vm_id).nics
    assert [(n.connected, n.start_connected) for n in nics] == [(False, False), (False, False)]
    assert [n.mac for n in nics] == [n.mac for n in vm.nics]  # nothing else changed
    source.set_nics_connected(vm.vm_id, True)
    assert all(n.connected and n.start_connected for n in source.get_vm(vm.vm_id).nics)


def test_annotation(source: VSphereSource) -> None:
    vm = source.inventory().vms[2]
    text = "Migrated to AHV by xtract-gui on 2026-11-26; do not power on."
    source.set_annotation(vm.vm_id, text)
    assert source.get_vm(vm.vm_id).annotation == text
