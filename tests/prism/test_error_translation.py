"""Every lookup and validation failure of the lab Prism, on the wire: exact status and error body per handler.

The v2/v3 surfaces turn ``Missing``/``Invalid`` into their own error shapes in one place each; this table pins
what each handler answers, so that place cannot drift from the shapes real Prism sends (PRISM-API.md).
"""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.prism.conftest import SEED
from tests.support.prism import PRISM_PASSWORD, PRISM_USER
from xtract_gui.lab.prism import PrismSimulator

pytestmark = pytest.mark.prism
AUTH = (PRISM_USER, PRISM_PASSWORD)
V2 = "/PrismGateway/services/rest/v2.0"
V2_API = "/api/nutanix/v2.0"
V08 = "/api/nutanix/v0.8"
V3 = "/api/nutanix/v3"
GONE = "00000000-0000-0000-0000-0000000000aa"
UPLOAD = b"\x01" * 4096 + b"\x00" * 4096


def v2_missing(kind: str, uuid: str) -> dict[str, Any]:
    return {"message": f"Entity {kind} {uuid} does not exist",
            "detailed_message": f"kNotFound: {kind} {uuid} does not exist",
            "error_code": {"code": 1202, "help_url": "http://portal.nutanix.com"}}


def v2_invalid(message: str) -> dict[str, Any]:
    return {"message": message, "detailed_message": message,
            "error_code": {"code": 1100, "help_url": "http://portal.nutanix.com"}}


def v3_error(status: int, kind: str, message: str, reason: str) -> dict[str, Any]:
    return {"api_version": "3.1", "code": status, "kind": kind,
            "message_list": [{"message": message, "reason": reason}], "state": "ERROR"}


def v3_missing(kind: str, uuid: str) -> dict[str, Any]:
    return v3_error(404, kind, f"{kind.upper()} {uuid} not found", "ENTITY_NOT_FOUND")


def v3_vm_spec(name: str, **resources: Any) -> dict[str, Any]:
    return {"name": name, "resources": {"num_sockets": 1, "num_vcpus_per_socket": 1, "memory_size_mib": 512,
                                        "power_state": "OFF", **resources}}


def _wait_task(session: requests.Session, url: str) -> None:
    deadline = time.monotonic() + 30
    while session.get(url, timeout=5).json()["status"] not in ("SUCCEEDED", "FAILED"):
        assert time.monotonic() < deadline, f"task {url} did not end"
        time.sleep(0.02)


def _started(tmp_path_factory: pytest.TempPathFactory, mode: str) -> Iterator[PrismSimulator]:
    """One simulator for the whole module: the error cases change nothing another case reads."""
    sim = PrismSimulator(tmp_path_factory.mktemp(f"prism-{mode}"), mode=mode, user=PRISM_USER,
                         password=PRISM_PASSWORD, seed=SEED)
    sim.task_delay(0.01)
    with sim:
        yield sim


@pytest.fixture(scope="module")
def pe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismSimulator]:
    yield from _started(tmp_path_factory, "pe")


@pytest.fixture(scope="module")
def pc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismSimulator]:
    yield from _started(tmp_path_factory, "pc")


@pytest.fixture(scope="module")
def pe_image(pe: PrismSimulator) -> str:
    """An INACTIVE v2 image, waiting for its bytes through v0.8."""
    answer = requests.post(f"{pe.url}{V2}/images", auth=AUTH, timeout=5,
                           json={"name": "awaiting-bytes", "image_type": "DISK_IMAGE"})
    assert answer.status_code == 201, answer.text
    return next(i["uuid"] for i in pe.state.data["images"].values() if i["name"] == "awaiting-bytes")


@pytest.fixture(scope="module")
def pc_image(pc: PrismSimulator) -> str:
    answer = requests.post(f"{pc.url}{V3}/images", auth=AUTH, timeout=5, json={
        "metadata": {"kind": "image"}, "spec": {"name": "awaiting-bytes", "resources": {}}})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["metadata"]["uuid"])


@pytest.fixture(scope="module")
def pc_vm(pc: PrismSimulator) -> str:
    with requests.Session() as s:
        s.auth = AUTH
        answer = s.post(f"{pc.url}{V3}/vms", timeout=5, json={"metadata": {"kind": "vm"},
                                                              "spec": v3_vm_spec("translated")})
        assert answer.status_code == 202, answer.text
        _wait_task(s, f"{pc.url}{V3}/tasks/{answer.json()['status']['execution_context']['task_uuid']}")
        return str(answer.json()["metadata"]["uuid"])


def _answer(sim: PrismSimulator, method: str, path: str, **kwargs: Any) -> requests.Response:
    """One request and, on the same keep-alive connection, a second one: an error answer that left request
    body bytes unread would turn the second request into garbage."""
    with requests.Session() as s:
        s.auth = AUTH
        answer = s.request(method, f"{sim.url}{path}", timeout=10, **kwargs)
        follow = s.get(f"{sim.url}{V3}/versions", timeout=5)
        assert follow.status_code == 200, (path, follow.status_code, follow.text[:200])
        return answer


WL = "10.9.9.9/255.255.255.255"
V2_CASES: list[tuple[str, str, str, dict[str, Any], int, dict[str, Any]]] = [
    ("whitelist-remove-missing", "DELETE", f"{V2}/cluster/nfs_whitelist/{WL}", {}, 404,
     v2_missing("nfs_whitelist", WL)),
    ("whitelist-add-invalid", "POST", f"{V2}/cluster/nfs_whitelist", {"json": {"value": "nonsense"}},
     500, v2_invalid("Whitelist entry 'nonsense' must be <ip>/<netmask>")),
    ("container-missing", "GET", f"{V2}/storage_containers/{GONE}", {}, 404, v2_missing("storage_container", GONE)),
    ("vm-missing", "GET", f"{V2}/vms/{GONE}", {}, 404, v2_missing("vm", GONE)),
    ("vm-missing-alt-base", "GET", f"{V2_API}/vms/{GONE}", {}, 404, v2_missing("vm", GONE)),
    ("vm-create-invalid", "POST", f"{V2}/vms", {"json": {"name": "x", "num_vcpus": 1, "memory_mb": 512,
                                                        "boot": {"secure_boot": True}}},
     500, v2_invalid("Secure boot requires machine_type Q35")),
    ("vm-create-no-name", "POST", f"{V2}/vms", {"json": {"memory_mb": 512}}, 500,
     v2_invalid("Field 'name' is required (create.dto.uhura.VmConfigDTO)")),
    ("vm-create-unknown-field", "POST", f"{V2}/vms",
     {"json": {"name": "x", "num_vcpus": 1, "memory_mb": 512, "machine_type": "q35"}}, 500,
     v2_invalid("Unrecognized field 'machine_type' (create.dto.uhura.VmConfigDTO), not marked as ignorable")),
    ("vm-delete-missing", "DELETE", f"{V2}/vms/{GONE}", {}, 404, v2_missing("vm", GONE)),
    ("power-missing", "POST", f"{V2}/vms/{GONE}/set_power_state", {"json": {"transition": "ON"}},
     404, v2_missing("vm", GONE)),
    ("power-invalid", "POST", f"{V2}/vms/{GONE}/set_power_state", {"json": {"transition": "SIDEWAYS"}},
     500, v2_invalid("Field 'transition' must be one of ['ACPI_REBOOT', 'ACPI_SHUTDOWN', 'OFF', 'ON', 'PAUSE', "
                     "'POWERCYCLE', 'RESET', 'RESUME', 'SAVE', 'SUSPEND'], not 'SIDEWAYS'")),
    ("vms-bad-offset", "GET", f"{V2}/vms?offset=-1&length=5", {}, 500,
     v2_invalid("offset must be an integer >= 0, not '-1'")),
    ("snapshot-missing", "POST", f"{V2}/snapshots",
     {"json": {"snapshot_specs": [{"vm_uuid": GONE, "snapshot_name": "s"}]}}, 404, v2_missing("vm", GONE)),
    ("snapshot-no-specs", "POST", f"{V2}/snapshots", {"json": {}}, 500, v2_invalid("snapshot_specs is required")),
    ("image-missing", "GET", f"{V2}/images/{GONE}", {}, 404, v2_missing("image", GONE)),
    ("image-create-no-name", "POST", f"{V2}/images", {"json": {"image_type": "DISK_IMAGE"}},
     500, v2_invalid("Image name is required")),
    ("image-create-container-missing", "POST", f"{V2}/images",
     {"json": {"name": "i", "image_import_spec": {"storage_container_uuid": GONE}}},
     404, v2_missing("storage_container", GONE)),
    ("image-delete-missing", "DELETE", f"{V2}/images/{GONE}", {}, 404, v2_missing("image", GONE)),
    ("upload-image-missing", "PUT", f"{V08}/images/{GONE}/upload", {"data": UPLOAD}, 404, v2_missing("image", GONE)),
    ("task-missing", "GET", f"{V2}/tasks/{GONE}", {}, 404,
     {"message": f"Task {GONE} does not exist", "detailed_message": f"Task {GONE} does not exist",
      "error_code": {"code": 1202, "help_url": "http://portal.nutanix.com"}}),
]


def test_an_encoded_slash_is_refused_before_prism_sees_it(pe: PrismSimulator) -> None:
    """Tomcat in front of Prism rejects "%2F" in a path (encodedSolidusHandling "reject"): a 400 page, not JSON."""
    pe.state.data["nfs_whitelist"].append(WL)
    try:
        answer = _answer(pe, "DELETE", f"{V2}/cluster/nfs_whitelist/10.9.9.9%2F255.255.255.255")
        assert answer.status_code == 400
        assert answer.headers["Content-Type"].startswith("text/html") and "400" in answer.text
        assert pe.state.data["nfs_whitelist"] == [WL]  # nothing was removed
    finally:
        pe.state.data["nfs_whitelist"].remove(WL)


def test_v2_upload_to_a_missing_container(pe: PrismSimulator, pe_image: str) -> None:
    answer = _answer(pe, "PUT", f"{V08}/images/{pe_image}/upload", data=UPLOAD,
                     headers={"X-Nutanix-Destination-Container": GONE})
    assert (answer.status_code, answer.json()) == (404, v2_missing("storage_container", GONE))
    assert pe.image_record(pe_image)["state"] != "COMPLETE"


V3_CASES: list[tuple[str, str, str, dict[str, Any], int, dict[str, Any]]] = [
    ("cluster-missing", "GET", f"{V3}/clusters/{GONE}", {}, 404, v3_missing("cluster", GONE)),
    ("subnet-missing", "GET", f"{V3}/subnets/{GONE}", {}, 404, v3_missing("subnet", GONE)),
    ("vm-missing", "GET", f"{V3}/vms/{GONE}", {}, 404, v3_missing("vm", GONE)),
    ("vm-create-invalid", "POST", f"{V3}/vms",
     {"json": {"metadata": {"kind": "vm"}, "spec": v3_vm_spec("x", boot_config={"boot_type": "BIOS"})}},
     422, v3_error(422, "vm", "Invalid boot_type 'BIOS'", "INVALID_REQUEST")),
    ("vm-update-missing", "PUT", f"{V3}/vms/{GONE}",
     {"json": {"metadata": {"kind": "vm", "spec_version": 0}, "spec": v3_vm_spec("x")}}, 404, v3_missing("vm", GONE)),
    ("vm-delete-missing", "DELETE", f"{V3}/vms/{GONE}", {}, 404, v3_missing("vm", GONE)),
    ("vm-snapshot-missing", "POST", f"{V3}/vms/{GONE}/snapshot", {"json": {"name": "s"}}, 404,
     v3_missing("vm", GONE)),
    ("image-missing", "GET", f"{V3}/images/{GONE}", {}, 404, v3_missing("image", GONE)),
    ("image-create-invalid", "POST", f"{V3}/images",
     {"json": {"metadata": {"kind": "image"}, "spec": {"name": "i", "resources": {"image_type": "VHD"}}}},
     422, v3_error(422, "image", "Invalid image_type 'VHD'", "INVALID_REQUEST")),
    ("image-delete-missing", "DELETE", f"{V3}/images/{GONE}", {}, 404, v3_missing("image", GONE)),
    ("image-upload-missing", "PUT", f"{V3}/images/{GONE}/file", {"data": UPLOAD}, 404, v3_missing("image", GONE)),
    ("task-missing", "GET", f"{V3}/tasks/{GONE}", {}, 404, v3_missing("task", GONE)),
]


@pytest.mark.parametrize(("surface", "method", "path", "kwargs", "status", "body"),
                         [("pe", *c[1:]) for c in V2_CASES] + [("pc", *c[1:]) for c in V3_CASES],
                         ids=[f"v2-{c[0]}" for c in V2_CASES] + [f"v3-{c[0]}" for c in V3_CASES])
def test_error_answers(request: pytest.FixtureRequest, surface: str, method: str, path: str, kwargs: dict[str, Any],
                       status: int, body: dict[str, Any]) -> None:
    answer = _answer(request.getfixturevalue(surface), method, path, **kwargs)
    assert (answer.status_code, answer.json()) == (status, body)
    assert answer.headers["Content-Type"] == "application/json"


def test_v3_update_with_an_invalid_spec(pc: PrismSimulator, pc_vm: str) -> None:
    version = requests.get(f"{pc.url}{V3}/vms/{pc_vm}", auth=AUTH, timeout=5).json()["metadata"]["spec_version"]
    answer = _answer(pc, "PUT", f"{V3}/vms/{pc_vm}", json={
        "metadata": {"kind": "vm", "spec_version": version}, "spec": v3_vm_spec("translated", num_sockets=0)})
    assert (answer.status_code, answer.json()) == (422, v3_error(
        422, "vm", "num_sockets, num_vcpus_per_socket and memory_size_mib must be at least 1", "INVALID_REQUEST"))


def test_v3_upload_with_a_wrong_checksum(pc: PrismSimulator, pc_image: str) -> None:
    answer = _answer(pc, "PUT", f"{V3}/images/{pc_image}/file", data=UPLOAD, headers={
        "X-Nutanix-Checksum-Type": "SHA_256", "X-Nutanix-Checksum-Bytes": "ab" * 32})
    assert answer.status_code == 422
    (item,) = answer.json()["message_list"]
    assert (answer.json()["kind"], item["reason"]) == ("image", "INVALID_REQUEST")
    assert item["message"].startswith("Checksum mismatch: computed ") and item["message"].endswith(
        f", expected {'ab' * 32}")
    assert pc.image_record(pc_image)["state"] != "COMPLETE"


@pytest.mark.parametrize("path", [f"{V3}/images/{GONE}/file", f"{V08}/images/{GONE}/upload"], ids=["v3", "v0.8"])
def test_upload_to_a_missing_image_that_stops_midway_is_dropped(prism_factory: Any, path: str) -> None:
    """The refusal waits for the rest of the body; a client that stops sending gets no answer, like a failover."""
    sim = prism_factory("pc" if path.startswith(V3) else "pe")
    token = base64.b64encode(f"{PRISM_USER}:{PRISM_PASSWORD}".encode()).decode()
    with socket.create_connection((sim.host, sim.port), timeout=10) as sock:
        sock.sendall(f"PUT {path} HTTP/1.1\r\nHost: lab\r\nAuthorization: Basic {token}\r\n"
                     "Content-Length: 100000\r\n\r\n".encode() + UPLOAD[:100])
        sock.shutdown(socket.SHUT_WR)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    assert received == b""
    assert [s for m, p, s in sim.request_log if (m, p) == ("PUT", path)] == [0]
