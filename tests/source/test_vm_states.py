"""VM states a default simulator never shows: no VMware Tools, a failed consolidation, a VM that is not
connected (xtract_gui/lab/vcsim/go/vmstate.go)."""

from __future__ import annotations

import pytest
from pyVmomi import vim

from tests.domain.factories import plan, target
from tests.source.conftest import BLOCK, write_at
from tests.support.vcsim import VcsimProcess
from xtract_gui.domain.errors import RemoteTaskError, UnsupportedError
from xtract_gui.domain.inventory import PowerState, ToolsStatus
from xtract_gui.domain.readiness import Severity, check_vm
from xtract_gui.source import VSphereSource

pytestmark = pytest.mark.vcsim


def codes(vm):  # type: ignore[no-untyped-def]
    return {f.code: f.severity for f in check_vm(vm, plan(vm), target())}


def test_shutdown_without_vmware_tools_is_refused_as_vsphere_refuses_it(source: VSphereSource) -> None:
    vm = source.inventory().vms[3]  # k%4 == 3: Tools not running
    assert vm.tools_status is ToolsStatus.NOT_RUNNING and vm.power_state is PowerState.ON
    assert codes(vm)["tools_not_running"] is Severity.BLOCKER  # the default plan may not power off
    with pytest.raises(UnsupportedError, match="VMware Tools is not running"):
        source.shutdown_guest(vm.vm_id)
    assert source.get_vm(vm.vm_id).power_state is PowerState.ON
    source.power_off(vm.vm_id)  # what the cutover does instead when the plan allows it
    assert source.get_vm(vm.vm_id).power_state is PowerState.OFF


def test_a_failed_consolidation_is_said_at_once_and_blocks_until_consolidated(
        source: VSphereSource, vcsim: VcsimProcess) -> None:
    vm = source.inventory().vms[1]
    disk = vm.disks[0]
    vcsim.control("/xtract/vm", method="POST", query={"vm": vm.vm_id, "failConsolidation": "true"})
    snap = source.create_snapshot(vm.vm_id, "xtract-seed")
    with pytest.raises(RemoteTaskError) as err:
        source.remove_snapshot(vm.vm_id, snap.snapshot_id)
    assert "could not consolidate" in err.value.message and "Consolidate" in err.value.hint
    after = source.get_vm(vm.vm_id)
    assert after.snapshot_count == 0 and after.consolidation_needed  # gone from the tree, deltas stay
    assert codes(after)["consolidation_needed"] is Severity.BLOCKER
    with pytest.raises(RemoteTaskError):  # a retry of the removal says it again
        source.remove_snapshot(vm.vm_id, snap.snapshot_id)
    # A read now would be of a stale base disk: refused with the real reason.
    again = source.create_snapshot(vm.vm_id, "xtract-sync")
    with pytest.raises(UnsupportedError, match="consolidated"):
        source.open_disk_reader(vm.vm_id, again.snapshot_id, disk.key)
    # The administrator consolidates: everything works again.
    api_vm = vim.VirtualMachine(vm.vm_id, source.session.stub)
    source.session.wait_task(source.session.call("consolidate", api_vm.ConsolidateVMDisks_Task), "consolidate")
    source.remove_snapshot(vm.vm_id, again.snapshot_id)
    fixed = source.get_vm(vm.vm_id)
    assert not fixed.consolidation_needed and "consolidation_needed" not in codes(fixed)
    write_at(vcsim.flat_file(vm.name), 3 * BLOCK, b"\x42" * 10)
    snap = source.create_snapshot(vm.vm_id, "xtract-read")
    reader = source.open_disk_reader(vm.vm_id, snap.snapshot_id, disk.key)
    try:
        assert reader.read(3 * BLOCK, 10) == b"\x42" * 10
    finally:
        reader.close()


@pytest.mark.parametrize("state", ["orphaned", "disconnected", "inaccessible"])
def test_a_vm_that_is_not_connected_is_blocked(source: VSphereSource, vcsim: VcsimProcess, state: str) -> None:
    vm = source.inventory().vms[0]
    vcsim.control("/xtract/vm", method="POST", query={"vm": vm.vm_id, "connectionState": state})
    now = next(v for v in source.inventory().vms if v.vm_id == vm.vm_id)
    assert now.connection_state == state
    assert codes(now)["vm_not_connected"] is Severity.BLOCKER
