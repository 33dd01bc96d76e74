"""A plan with the SSH guest channel: what the engine hands the channel factory, and that the cutover waits
for the first-boot report over SSH as it does over WinRM."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from xtract_gui.domain.plan import GuestAccess, GuestChannelKind, SecretRef
from xtract_gui.domain.states import JobState
from xtract_gui.lab.source import LabSource

from .fakes import make_plan, make_rig

PIN = "ssh-ed25519 SHA256:" + "B" * 43
KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n"


def test_ssh_plans_reach_the_channel_with_key_pin_and_port_and_wait_for_the_first_boot_report(tmp_path: Path):
    rig = make_rig(tmp_path, vms=2)
    rig.secrets.set("xtract-test", "root-key", KEY)
    base = make_plan(rig.lab)
    linux = next(v for v in rig.lab.inventory().vms if v.guest_family.value == "linux")
    ssh = GuestAccess(channel=GuestChannelKind.SSH, user="root", ssh_key=SecretRef("xtract-test", "root-key"),
                      ssh_host_key=PIN)
    plan = replace(base, vms=tuple(replace(v, guest=ssh) for v in base.vms if v.vm_id == linux.vm_id))

    async def go() -> JobState:
        m = rig.manager()
        await m.start(plan)
        await m.wait([linux.vm_id], lambda s: s.sync_count >= 1 or s.state is JobState.FAILED)
        await m.cutover([linux.vm_id], requested_by="test")
        (snap,) = await m.wait([linux.vm_id], lambda s: s.state in (JobState.DONE, JobState.FAILED,
                                                                      JobState.ROLLED_BACK))
        titles = {s.title: s.state.value for s in m.steps(linux.vm_id)}
        await m.close()
        assert titles.get("Waiting for guest") == "succeeded", titles
        return snap.state

    assert asyncio.run(asyncio.wait_for(go(), 120)) is JobState.DONE
    targets = {t.channel for t in rig.guests.targets}
    assert targets == {"ssh"}
    t = rig.guests.targets[0]
    assert (t.host, t.port, t.host_key, t.private_key, t.password) == (linux.guest_ips[0], 22, PIN, KEY, "")
    assert "linux.read_firstboot_result" in [task for task, _ in rig.guests.ran]
    assert isinstance(rig.lab, LabSource)
