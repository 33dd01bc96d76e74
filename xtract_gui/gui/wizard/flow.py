"""The wizard's navigation and plan building in plain Python (no Qt), after Electrum's ``wizard.py``.

The Qt pages only show what this package decides: which page comes next, what
each page accepts (``errors(page)`` maps a field name to a message), and the
``Plan`` built from the answers.  The answers and messages live in ``flow_answers``
and the per-page validation in ``flow_rules``; both are re-exported here, so
``from .flow import …`` stays the one import the pages need.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ...domain.messages import msg, raw
from ...domain.plan import GuestAccess, Plan, SourceEndpoint, TargetEndpoint, VmPlan
from .flow_answers import (
    GUEST_PLAN_FIELDS,
    PAGES,
    SECRET_SERVICE,
    TARGET_PLAN_FIELDS,
    EndpointAnswers,
    Finding,
    GuestAnswers,
    Msg,
    PageId,
    TargetAnswers,
    WizardState,
    default_guest,
)
from .flow_rules import (
    VALIDATORS,
    guest_errors,
    network_errors,
    source_errors,
    target_errors,
    vm_errors,
)

__all__ = [
    "GUEST_PLAN_FIELDS", "PAGES", "SECRET_SERVICE", "TARGET_PLAN_FIELDS", "VALIDATORS", "EndpointAnswers", "Finding",
    "GuestAnswers", "Msg", "PageId", "TargetAnswers", "WizardFlow", "WizardState", "default_guest", "guest_errors",
    "msg",
    "network_errors", "raw", "source_errors", "target_errors", "vm_errors",
]


class WizardFlow:
    """Which page is shown, and whether the user may go on."""

    def __init__(self, state: WizardState | None = None) -> None:
        self.state = state or WizardState()
        self.current: PageId = PageId.SOURCE

    def errors(self, page: PageId | None = None) -> dict[str, Msg]:
        return VALIDATORS[page or self.current](self.state)

    def can_advance(self, page: PageId | None = None) -> bool:
        return not self.errors(page) and (page or self.current) is not PageId.SUMMARY

    def can_go_back(self) -> bool:
        return self.current is not PageId.SOURCE

    def next(self) -> PageId:
        if not self.can_advance():
            raise ValueError(f"page {self.current.value} is not complete")
        self.current = PAGES[PAGES.index(self.current) + 1]
        return self.current

    def back(self) -> PageId:
        if self.can_go_back():
            self.current = PAGES[PAGES.index(self.current) - 1]
        return self.current

    # -- answers that reset what depends on them -------------------------------------------------
    def source_changed(self) -> None:
        self.state.source.connected = False
        self.state.source.error = ""

    def target_changed(self) -> None:
        self.state.target.connected = False
        self.state.target.error = ""
        self.state.target.mode_reachable = None

    def set_selected(self, vm_ids: Iterable[str]) -> None:
        self.state.selected = set(vm_ids)

    def apply_guest(self, vm_ids: Iterable[str], answers: GuestAnswers, *, keep_address: bool = True) -> None:
        """Give the same channel/account to a group of VMs; each keeps its own WinRM address, port and
        pinned certificate unless ``keep_address`` is False, and must be tested again."""
        for vm_id in vm_ids:
            old = self.state.guests.get(vm_id)
            new = replace(answers, tested_ok=None, test_message="")
            if keep_address and old is not None:
                new = replace(new, winrm_host=answers.winrm_host or old.winrm_host,
                              winrm_port=answers.winrm_port or old.winrm_port,
                              fingerprint=answers.fingerprint or old.fingerprint,
                              ssh_host=answers.ssh_host or old.ssh_host, ssh_port=answers.ssh_port or old.ssh_port,
                              ssh_host_key=answers.ssh_host_key or old.ssh_host_key,
                              loaded_ref=old.loaded_ref, loaded_user=old.loaded_user,
                              loaded_key_ref=old.loaded_key_ref)
            self.state.guests[vm_id] = new

    # -- plan ------------------------------------------------------------------------------------
    def build_plan(self) -> Plan:
        s, src, tgt = self.state, self.state.source, self.state.target
        vms = []
        for vm in s.selected_vms():
            g = s.guest(vm.vm_id)
            ref, key = g.secret_ref(vm.name), g.key_ref(vm.name)
            shared = {name: getattr(g, name) for name in GUEST_PLAN_FIELDS}
            vms.append(VmPlan(vm_id=vm.vm_id, name=vm.name,
                              guest=GuestAccess(**{**shared, "user": g.user if ref or key else ""}, password=ref,
                                                ssh_key=key)))
        plan = Plan(
            name=s.plan_name or "migration",
            source=SourceEndpoint(host=src.host.strip(), user=src.user.strip(), password=src.secret_ref(),
                                  port=src.port, fingerprint=src.fingerprint, protocol=src.protocol),
            target=TargetEndpoint(host=tgt.host.strip(), user=tgt.user.strip(), password=tgt.secret_ref(),
                                  cluster_uuid=tgt.cluster_uuid, container_uuid=tgt.container_uuid, port=tgt.port,
                                  fingerprint=tgt.fingerprint, protocol=tgt.protocol,
                                  element_fingerprints=dict(tgt.element_fingerprints),
                                  **{name: getattr(tgt, name) for name in TARGET_PLAN_FIELDS}),
            vms=tuple(vms),
            network_map={pg: s.network_map[pg] for pg in s.used_port_groups() if s.network_map.get(pg)},
            test_subnet_uuid=s.test_subnet_uuid,
            transfer_mode=tgt.transfer_mode,
            options=s.options,
        )
        plan.validate()
        return plan

    def load_plan(self, plan: Plan) -> None:
        """Fill the answers from a saved plan; connections must be made again (passwords come from the keyring)."""
        s = self.state
        s.plan_name = plan.name
        for ep, src in ((s.source, plan.source), (s.target, plan.target)):
            ep.host, ep.port, ep.user = src.host, src.port, src.user
            ep.protocol, ep.fingerprint, ep.connected = src.protocol, src.fingerprint, False
            ep.loaded_ref, ep.loaded_for = src.password, (src.user, src.host)
        for name in ("cluster_uuid", "container_uuid", *TARGET_PLAN_FIELDS):
            setattr(s.target, name, getattr(plan.target, name))
        s.target.element_fingerprints = dict(plan.target.element_fingerprints)
        s.target.transfer_mode = plan.transfer_mode
        s.selected = {v.vm_id for v in plan.vms}
        s.guests = {v.vm_id: GuestAnswers(**{name: getattr(v.guest, name) for name in GUEST_PLAN_FIELDS},
                                          loaded_ref=v.guest.password, loaded_user=v.guest.user,
                                          loaded_key_ref=v.guest.ssh_key)
                    for v in plan.vms}
        s.network_map = dict(plan.network_map)
        s.test_subnet_uuid = plan.test_subnet_uuid
        s.options = plan.options
        self.current = PageId.SOURCE
