from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tests.domain.factories import plan, vm
from xtract_gui.domain.errors import ConfigurationError
from xtract_gui.domain.plan import GuestAccess, GuestChannelKind, Plan, PlanOptions, SecretRef


def test_plan_round_trips_exactly_through_json() -> None:
    p = plan(vm("vm-1"), vm("vm-2"), options=PlanOptions(certificate_files=("a.cer", "b.cer"),
                                                         cutover_window_start="22:00"))
    text = p.to_json()
    assert Plan.from_json(text) == p
    assert Plan.from_json(text).to_json() == text


def test_plan_holds_only_keyring_references() -> None:
    data = json.loads(plan().to_json())
    assert data["source"]["password"] == "keyring:xtract-gui/administrator@vc.lab"
    assert "hunter2" not in plan().to_json()


def edited(**changes: object) -> str:
    data = json.loads(plan().to_json())
    for dotted, value in changes.items():
        node = data
        *parents, leaf = dotted.split("__")
        for key in parents:
            node = node[key]
        node[leaf] = value
    return json.dumps(data)


@pytest.mark.parametrize(("text", "expected"), [
    ("{", "not valid JSON (line 1"),
    ("[]", "not a JSON object"),
    (edited(source__password="hunter2"), "plan.source.password holds a plain value"),
    (edited(transfer_mode="hot"), "allowed values: 'warm', 'cold'"),
    (edited(options__retain_ip="yes"), "plan.options.retain_ip must be bool"),
    (edited(options__sync_interval_minutes=0), "at least 1"),
    (edited(options__cutover_window_start="25:00"), "expected a time like"),
    (edited(version=7), "Plan version 7 is not supported"),
    (edited(vms=[]), "no VMs"),
])
def test_bad_plans_get_a_message_that_says_where_and_what(text: str, expected: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Plan.from_json(text)
    assert expected in str(info.value)


def test_a_typo_in_a_key_gets_a_did_you_mean() -> None:
    data = json.loads(plan().to_json())
    data["options"]["sync_intervall_minutes"] = data["options"].pop("sync_interval_minutes")
    with pytest.raises(ConfigurationError, match="Did you mean 'sync_interval_minutes'"):
        Plan.from_dict(data)


def test_a_missing_field_is_named() -> None:
    data = json.loads(plan().to_json())
    del data["target"]["container_uuid"]
    with pytest.raises(ConfigurationError, match=r"plan\.target\.container_uuid is missing"):
        Plan.from_dict(data)


def test_duplicate_vm_and_missing_guest_account_are_rejected() -> None:
    data = json.loads(plan().to_json())
    data["vms"].append(dict(data["vms"][0]))
    with pytest.raises(ConfigurationError, match="listed twice"):
        Plan.from_dict(data)
    data = json.loads(plan().to_json())
    data["vms"][0]["guest"]["password"] = None
    with pytest.raises(ConfigurationError, match="no guest account"):
        Plan.from_dict(data)


def test_secret_ref_renders_as_a_keyring_reference() -> None:
    assert str(SecretRef("svc", "me@host")) == "keyring:svc/me@host"


PIN = "ssh-ed25519 SHA256:" + "Qk9" * 14 + "x"


def _ssh_plan(**guest: object) -> Plan:
    base = plan()
    access = GuestAccess(channel=GuestChannelKind.SSH, user="migsvc", ssh_host="10.1.20.16", ssh_port=2222,
                         ssh_host_key=PIN, ssh_key=SecretRef("xtract-gui", "migsvc@web-key"))
    return replace(base, vms=(replace(base.vms[0], guest=replace(access, **guest)),))


def test_ssh_access_round_trips_and_a_key_alone_is_a_guest_account() -> None:
    p = _ssh_plan()
    text = p.to_json()
    assert '"ssh_key": "keyring:xtract-gui/migsvc@web-key"' in text and '"password": null' in text
    again = Plan.from_json(text)
    assert again == p and again.vms[0].guest.ssh_host_key == PIN
    data = json.loads(text)
    data["vms"][0]["guest"]["ssh_key"] = "-----BEGIN OPENSSH PRIVATE KEY-----"
    with pytest.raises(ConfigurationError, match="keyring references"):
        Plan.from_dict(data)
    data["vms"][0]["guest"]["ssh_key"] = None
    with pytest.raises(ConfigurationError, match="no guest account"):
        Plan.from_dict(data)


@pytest.mark.parametrize("pin", ["SHA256:abc", "ssh-ed25519 " + "a" * 43, "ssh-ed25519 SHA256:" + "A" * 44,
                                 "MD5:aa:bb"])
def test_a_malformed_host_key_pin_is_refused(pin: str) -> None:
    with pytest.raises(ConfigurationError, match="ssh_host_key"):
        Plan.from_dict(json.loads(_ssh_plan(ssh_host_key=pin).to_json()))
