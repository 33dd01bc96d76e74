"""Each plan's VMware Tools guest operations go through that plan's own vCenter.

Two govmomi simulators stand for two vCenters; their models are alike, so the same VM id exists in
both, and a guest operation sent to the wrong one would succeed there, silently.  Each simulator has
its own guest root, so where a file put through a plan's channel lands tells which vCenter ran it.
The adapters are the composition root's (``build_manager``), the sessions the engine's.
"""

from __future__ import annotations

import contextlib
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.vcsim import VcsimProcess
from xtract_gui.domain.inventory import OsFamily, PowerState, ToolsStatus
from xtract_gui.domain.plan import Plan, SecretRef, SourceEndpoint, TargetEndpoint, VmPlan
from xtract_gui.engine.context import Session
from xtract_gui.engine.ports import GuestTarget
from xtract_gui.wiring import DictSecrets, build_manager, connect_source

pytestmark = [pytest.mark.e2e, pytest.mark.vcsim, pytest.mark.guest]
SERVICE = "xtract-test"
GUEST_USER, GUEST_PASSWORD = "root", "vmware"  # guestops.go's defaults


def _plan(name: str, sim: VcsimProcess, vm_id: str) -> Plan:
    source = SourceEndpoint(host=sim.host, port=sim.port, user=sim.user, protocol=sim.protocol,
                            password=SecretRef(SERVICE, f"{name}@vcenter"))
    target = TargetEndpoint(host="unused", user="admin", password=SecretRef(SERVICE, "prism"),
                            cluster_uuid="", container_uuid="")
    return Plan(name=name, source=source, target=target, vms=(VmPlan(vm_id=vm_id, name=vm_id),))


def _linux_vm(sim: VcsimProcess) -> str:
    """A powered-on Linux VM whose VMware Tools run: guest operations work on it."""
    source = connect_source(_plan("probe", sim, "-").source, sim.password)
    try:
        return next(v.vm_id for v in source.inventory().vms if v.guest_family is OsFamily.LINUX
                    and v.tools_status is ToolsStatus.RUNNING and v.power_state is PowerState.ON)
    finally:
        source.close()


def _guest_root(sim: VcsimProcess) -> Path:
    with urllib.request.urlopen(f"{sim.base_url}/xtract/guestops", timeout=10) as resp:
        return Path(json.loads(resp.read())["root"])


def test_two_plans_on_two_vcenters_each_run_guest_operations_on_their_own(
        vcsim_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XTRACT_VCSIM_GUEST_ROOT", raising=False)  # each simulator its own guest root
    sims = {"a": vcsim_factory(tls=False), "b": vcsim_factory(tls=False)}
    roots = {k: _guest_root(s) for k, s in sims.items()}
    assert roots["a"] != roots["b"]
    secrets = DictSecrets({(SERVICE, f"{k}@vcenter"): s.password for k, s in sims.items()})
    manager = build_manager(secrets=secrets, state_dir=tmp_path / "engine")
    sessions: dict[str, Session] = {}
    try:
        for key in ("a", "b"):  # b connects last: a channel factory shared by the plans would follow b
            vm_id = _linux_vm(sims[key])
            sessions[key] = Session(f"plan-{key}", _plan(key, sims[key], vm_id), manager.adapters,
                                    manager.emitter, manager.tuning)
            sessions[key].source()  # what ``JobContext.connect`` does before a job's first step
        ids = {k: s.plan.vms[0].vm_id for k, s in sessions.items()}
        assert ids["a"] == ids["b"]  # the same VM id on both vCenters
        for key, session in sessions.items():
            guests = session.adapters.guests
            assert guests is not None
            vm_id = ids[key]
            channel = guests.open(GuestTarget(vm_id=vm_id, os_family="linux", channel="vmtools", host=vm_id,
                                              user=GUEST_USER, password=GUEST_PASSWORD))
            try:
                channel.put_file(f"sent by plan {key}\n".encode(), "/tmp/xtract-which-plan.txt")
            finally:
                channel.close()
        for key, root in roots.items():
            assert (root / "tmp/xtract-which-plan.txt").read_text() == f"sent by plan {key}\n", key
    finally:
        for session in sessions.values():
            with contextlib.suppress(Exception):
                session.close()
        manager.store.close()
