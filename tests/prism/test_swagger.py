"""Simulator answers and adapter requests against real Prism Central's v3 Swagger spec."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
import requests

from tests.prism.conftest import CLUSTER_UUID, SEED
from tests.prism.swagger import validate
from tests.prism.test_operations import MIB, vm_spec
from tests.support.prism import PRISM_PASSWORD, PRISM_USER
from xtract_gui.domain.inventory import BootType, TargetDiskSpec
from xtract_gui.lab.prism import PrismSimulator

pytestmark = pytest.mark.prism


class Recorder:
    """Every request the adapter sends, taken from its real requests.Session."""

    def __init__(self, target: Any) -> None:
        self.sent: list[requests.PreparedRequest] = []
        target.t.session.hooks["response"].append(self._hook)

    def _hook(self, resp: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.sent.append(resp.request)

    def bodies(self, method: str, suffix: str) -> list[Any]:
        return [json.loads(r.body) for r in self.sent
                if r.method == method and (r.path_url.split("?")[0]).endswith(suffix) and r.body]


@pytest.fixture
def pc_world(prism_factory: Callable[..., PrismSimulator], prism_connect: Callable[..., Any]) -> Any:
    pc = prism_factory("pc", seed=SEED)
    target = prism_connect(pc)
    recorder = Recorder(target)
    data = os.urandom(MIB)
    image = target.upload_image("img", "", iter([data]), size=len(data))
    vm_uuid = target.create_vm(vm_spec(target, "swagger vm", boot_type=BootType.SECURE_BOOT,
                                       disks=(TargetDiskSpec(size_bytes=2 * MIB, image_uuid=image),)))
    target.set_power_state(vm_uuid, "on")
    target.snapshot_vm(vm_uuid, "snap")
    return pc, target, recorder, image, vm_uuid


def _get(pc: PrismSimulator, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(method, f"{pc.url}/api/nutanix/v3{path}", json=body, auth=(PRISM_USER, PRISM_PASSWORD),
                            timeout=10)


def test_simulator_answers_validate(pc_world: Any) -> None:
    pc, _target, _rec, image, vm_uuid = pc_world
    checks = [
        ("GET", "/versions", None, "versions"),
        ("POST", "/clusters/list", {"kind": "cluster"}, "cluster_list_intent_response"),
        ("GET", f"/clusters/{CLUSTER_UUID}", None, "cluster_intent_response"),
        ("POST", "/subnets/list", {"kind": "subnet", "length": 2}, "subnet_list_intent_response"),
        ("POST", "/vms/list", {"kind": "vm"}, "vm_list_intent_response"),
        ("GET", f"/vms/{vm_uuid}", None, "vm_intent_response"),
        ("POST", "/images/list", {"kind": "image"}, "image_list_intent_response"),
        ("GET", f"/images/{image}", None, "image_intent_response"),
        ("GET", "/vms/00000000-0000-0000-0000-000000000000", None, "vm_status"),
        ("POST", "/vms", {"metadata": {"kind": "vm"}, "spec": {}}, "vm_status"),
    ]
    for method, path, body, definition in checks:
        answer = _get(pc, method, path, body)
        validate(definition, answer.json())
    task_uuid = [p for m, p, s in pc.request_log if "/tasks/" in p][-1].rsplit("/", 1)[1]
    validate("task", _get(pc, "GET", f"/tasks/{task_uuid}").json())


def test_adapter_requests_validate(pc_world: Any) -> None:
    _pc, target, recorder, _image, _vm = pc_world
    target.vms()
    target.find_vms("swagger vm")
    target.subnets(CLUSTER_UUID)
    target.clusters()
    creates = recorder.bodies("POST", "/vms")
    assert creates, "the adapter sent no VM create"
    for body in creates:
        validate("vm_intent_input", body)
    for body in recorder.bodies("PUT", "/vms/" + _vm):
        validate("vm_intent_input", body)
    for body in recorder.bodies("POST", "/images"):
        validate("image_intent_input", body)
    for kind in ("vm", "subnet", "cluster"):
        bodies = recorder.bodies("POST", f"/{kind}s/list")
        assert bodies
        for body in bodies:
            validate(f"{kind}_list_metadata", body)
    for body in recorder.bodies("POST", "/snapshot"):
        validate("vm_snapshot_input", body)


def test_the_validator_catches_a_wrong_enum(pc_world: Any) -> None:
    pc, *_rest, vm_uuid = pc_world
    answer = _get(pc, "GET", f"/vms/{vm_uuid}").json()
    answer["spec"]["resources"]["power_state"] = "HALF_ON"
    with pytest.raises(jsonschema.ValidationError):
        validate("vm_intent_response", answer)
