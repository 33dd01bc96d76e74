"""Faults a real Prism produces, injected into the lab Prism, and what the adapter makes of them."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import free_port
from tests.prism.conftest import CLUSTER_UUID, SEED, Surface
from tests.prism.test_operations import MIB, chunks, upload, vm_spec
from tests.support.prism import connect_to
from xtract_gui.domain.errors import (
    AuthenticationError,
    CancelledError,
    ConfigurationError,
    ConflictError,
    ConnectionFailedError,
    RemoteTaskError,
    TransientError,
    UnsupportedError,
)
from xtract_gui.domain.inventory import PowerState, TargetDiskSpec
from xtract_gui.lab.prism import PrismSimulator
from xtract_gui.target import PrismCentral, PrismTaskError

pytestmark = pytest.mark.prism


def fast_retries(target: Any) -> None:
    target.t.backoff = 0.01


def test_503_is_retried_then_succeeds(surface: Surface) -> None:
    fast_retries(surface.target)
    path = r"/vms/list$" if surface.mode == "pc" else r"/v2\.0/vms/?$"
    surface.sim.fail_next("*", path, 503, count=2)
    assert surface.target.vms() == []
    statuses = [s for m, p, s in surface.sim.request_log if p.endswith(("/vms/list", "/vms"))]
    assert statuses == [503, 503, 200]


def test_503_forever_gives_up_with_a_transient_error(surface: Surface) -> None:
    fast_retries(surface.target)
    surface.sim.fail_next("*", r"/subnets/list$|/networks", 503, count=50)
    with pytest.raises(TransientError, match="temporarily unavailable"):
        surface.target.subnets(CLUSTER_UUID)


def test_expired_session_reauthenticates_once(surface: Surface) -> None:
    t = surface.target
    t.vms()
    surface.sim.expire_sessions()
    assert t.vms() == []
    log = surface.sim.request_log
    assert [s for _m, _p, s in log[-2:]] == [401, 200]
    assert sum(1 for _m, _p, s in log if s == 401) == 1


def test_401_twice_is_an_authentication_error(surface: Surface) -> None:
    surface.target.vms()
    surface.sim.fail_next("*", r".", 401, count=2)
    with pytest.raises(AuthenticationError):
        surface.target.vms()


def test_wrong_password(surface: Surface) -> None:
    with pytest.raises(AuthenticationError) as info:
        connect_to(surface.sim, password="wrong")
    assert "wrong" not in info.value.detail
    assert "password" in str(info.value)


def test_unreachable_host() -> None:
    from xtract_gui.target import connect_prism

    with pytest.raises(ConnectionFailedError, match="Could not reach Prism"):
        connect_prism("127.0.0.1", "admin", "x", port=free_port(), protocol="http", timeout=2)


def test_pc_spec_version_conflict_is_reread_and_reapplied(prism_factory: Callable[..., PrismSimulator],
                                                           prism_connect: Callable[..., Any]) -> None:
    pc = prism_factory("pc", seed=SEED)
    target = prism_connect(pc)
    vm_uuid = target.create_vm(vm_spec(target, "conflict", nics=()))
    pc.fail_next("PUT", rf"/vms/{vm_uuid}$", 409, count=2)
    target.set_power_state(vm_uuid, "on")
    assert target.get_vm(vm_uuid).power_state is PowerState.ON
    puts = [s for m, p, s in pc.request_log if m == "PUT"]
    assert puts == [409, 409, 202]
    gets = [m for m, p, s in pc.request_log if m == "GET" and p.endswith(vm_uuid)]
    assert len(gets) >= 3  # every attempt read the VM again


def test_pc_stale_spec_version_from_the_real_server(prism_factory: Callable[..., PrismSimulator],
                                                     prism_connect: Callable[..., Any]) -> None:
    """The simulator itself refuses an old spec_version; the adapter's next attempt reads the new one."""
    import requests

    pc = prism_factory("pc", seed=SEED)
    target = prism_connect(pc)
    vm_uuid = target.create_vm(vm_spec(target, "stale", nics=()))
    url = f"{pc.url}/api/nutanix/v3/vms/{vm_uuid}"
    auth = ("admin", "Nutanix/4u-lab")
    body = requests.get(url, auth=auth, timeout=5).json()
    first = {"metadata": body["metadata"], "spec": body["spec"]}
    assert requests.put(url, json=first, auth=auth, timeout=5).status_code == 202
    stale = requests.put(url, json=first, auth=auth, timeout=5)
    assert stale.status_code == 409
    assert stale.json()["message_list"][0]["reason"] == "CONCURRENT_REQUESTS_NOT_ALLOWED"
    target.set_power_state(vm_uuid, "on")
    assert target.get_vm(vm_uuid).power_state is PowerState.ON


def test_persistent_409_is_a_conflict(prism_factory: Callable[..., PrismSimulator],
                                      prism_connect: Callable[..., Any]) -> None:
    pc = prism_factory("pc", seed=SEED)
    target = prism_connect(pc)
    vm_uuid = target.create_vm(vm_spec(target, "busy", nics=()))
    pc.fail_next("PUT", rf"/vms/{vm_uuid}$", 409, count=10)
    with pytest.raises(ConflictError):
        target.set_power_state(vm_uuid, "on")


def test_drop_mid_upload_leaves_no_half_image(surface: Surface) -> None:
    surface.sim.drop_connection_mid_upload()
    data = os.urandom(4 * MIB)
    with pytest.raises(TransientError, match="broke"):
        surface.target.upload_image("dropped", surface.container_uuid(), iter(chunks(data)), size=len(data))
    assert surface.sim.state.data["images"] == {}
    image_dir = surface.sim.state_dir / "containers"
    assert [p for p in image_dir.rglob("*") if p.is_file() and ".acropolis" in p.parts] == []
    # The next upload works.
    image, _ = upload(surface, "again")
    assert surface.sim.image_record(image)["state"] == "COMPLETE"


def test_cancelled_upload_leaves_no_half_image(surface: Surface) -> None:
    cancel = threading.Event()

    def stream() -> Any:
        yield os.urandom(MIB)
        cancel.set()
        yield os.urandom(MIB)

    with pytest.raises(CancelledError):
        surface.target.upload_image("cancelled", surface.container_uuid(), stream(), size=2 * MIB, cancel=cancel)
    assert surface.sim.state.data["images"] == {}


def test_wrong_checksum_is_refused_and_cleaned_up(prism_factory: Callable[..., PrismSimulator],
                                                  prism_connect: Callable[..., Any]) -> None:
    pc = prism_factory("pc", seed=SEED)
    target = prism_connect(pc)
    data = os.urandom(MIB)
    with pytest.raises(ConfigurationError, match="Checksum mismatch"):
        target.upload_image("bad-sum", "", iter([data]), size=len(data), sha256="00" * 32)
    assert pc.state.data["images"] == {}


def test_slow_task_can_be_cancelled_and_leaves_no_vm(surface: Surface) -> None:
    surface.sim.task_delay(60)
    cancel = threading.Event()
    fractions: list[float] = []

    def progress(fraction: float, message: str) -> None:
        fractions.append(fraction)
        cancel.set()  # the user presses Cancel while the task runs…
        surface.sim.task_delay(0.01)  # …and the cluster then finishes it quickly

    with pytest.raises(CancelledError):
        surface.target.create_vm(vm_spec(surface.target, "slow", nics=()), cancel=cancel, progress=progress)
    assert fractions and max(fractions) < 0.8
    assert surface.sim.state.data["vms"] == {}  # the VM the task made afterwards was deleted


def test_failed_task_is_a_remote_task_error_and_leaves_nothing(surface: Surface) -> None:
    """Since pc.2022.1 a bad reference is accepted (202) and the task FAILS."""
    # PC: an image that does not exist; PE: a file that does not exist on the container.
    disk = TargetDiskSpec(size_bytes=MIB, image_uuid="70cfd137-a8d9-4169-a5ac-cf9ad6ddb03a") \
        if surface.mode == "pc" else TargetDiskSpec(size_bytes=MIB, ndfs_path="/default-container/missing.raw")
    with pytest.raises(RemoteTaskError) as info:
        surface.target.create_vm(vm_spec(surface.target, "no-source", disks=(disk,)))
    assert isinstance(info.value, PrismTaskError)
    assert info.value.error_code
    assert "does not exist" in info.value.error_detail
    assert surface.sim.state.data["vms"] == {}


def test_power_on_failure_removes_the_new_vm(surface: Surface) -> None:
    path = r"/vms/[0-9a-f-]+$" if surface.mode == "pc" else r"/set_power_state$"
    method = "PUT" if surface.mode == "pc" else "POST"
    surface.sim.fail_next(method, path, 500, count=1)
    with pytest.raises(Exception) as info:
        surface.target.create_vm(vm_spec(surface.target, "half", nics=(), power_on=True))
    assert "500" in str(info.value)
    assert surface.sim.state.data["vms"] == {}


def test_invalid_request_is_a_configuration_error(surface: Surface) -> None:
    with pytest.raises(ConfigurationError) as info:
        surface.target.create_vm(vm_spec(surface.target, "bad", num_sockets=0, nics=()))
    assert "at least 1" in info.value.detail


def test_pe_refuses_v3_crud_with_entity_read_error(prism_pe: PrismSimulator) -> None:
    from xtract_gui.target.prism_central import PrismCentral as Central
    from xtract_gui.target.transport import PrismTransport

    transport = PrismTransport("127.0.0.1", "admin", "Nutanix/4u-lab", port=prism_pe.port, protocol="http")
    forced = Central(transport, version="?", fingerprint="")
    with pytest.raises(UnsupportedError, match="Prism Element") as info:
        forced.vms()
    assert "ENTITY_READ_ERROR" not in str(info.value)
    assert "Failed to read entity" in info.value.detail
    forced.close()


def test_pc_conflict_as_a_failed_task_is_reread_and_reapplied(prism_factory: Callable[..., PrismSimulator],
                                                               prism_connect: Callable[..., Any]) -> None:
    """Newer PCs accept a stale PUT (202) and FAIL its task; the adapter treats that as an edit conflict."""
    from xtract_gui.lab.prism.tasks import TaskFailure

    pc = prism_factory("pc", seed=SEED)
    target = prism_connect(pc)
    vm_uuid = target.create_vm(vm_spec(target, "late-conflict", nics=()))

    def stale() -> None:
        raise TaskFailure("CONCURRENT_REQUESTS_NOT_ALLOWED", "spec_version 0 is older than 1")

    failed = pc.tasks.submit("VmUpdate", [{"kind": "vm", "uuid": vm_uuid}], stale)
    pc.fail_next("PUT", rf"/vms/{vm_uuid}$", 202, body={
        "api_version": "3.1", "metadata": {"kind": "vm", "uuid": vm_uuid, "spec_version": 0},
        "status": {"state": "PENDING", "execution_context": {"task_uuid": failed}}})
    target.set_power_state(vm_uuid, "on")
    assert target.get_vm(vm_uuid).power_state is PowerState.ON
    assert [s for m, p, s in pc.request_log if m == "PUT"] == [202, 202]


def test_pc_other_failed_task_is_not_retried(prism_factory: Callable[..., PrismSimulator],
                                             prism_connect: Callable[..., Any]) -> None:
    from xtract_gui.lab.prism.tasks import TaskFailure

    pc = prism_factory("pc", seed=SEED)
    target = prism_connect(pc)
    vm_uuid = target.create_vm(vm_spec(target, "no-host", nics=()))

    def no_memory() -> None:
        raise TaskFailure("NO_RESOURCES", "Not enough memory on any host to power on the VM")

    failed = pc.tasks.submit("VmUpdate", [{"kind": "vm", "uuid": vm_uuid}], no_memory)
    pc.fail_next("PUT", rf"/vms/{vm_uuid}$", 202, body={"status": {"execution_context": {"task_uuid": failed}}})
    with pytest.raises(PrismTaskError) as info:
        target.set_power_state(vm_uuid, "on")
    assert (info.value.error_code, info.value.error_detail) == (
        "NO_RESOURCES", "Not enough memory on any host to power on the VM")
    assert "Not enough memory" in str(info.value)
    assert [s for m, p, s in pc.request_log if m == "PUT"] == [202]


def test_older_pc_without_product_headers_is_still_recognised(prism_factory: Callable[..., PrismSimulator],
                                                              prism_connect: Callable[..., Any]) -> None:
    pc = prism_factory("pc", seed=SEED, product_headers=False)
    target = prism_connect(pc)
    assert isinstance(target, PrismCentral)
    assert target.version == "pc.2024.1.0.1"
    assert [c.uuid for c in target.clusters()] == [CLUSTER_UUID]


def test_inputs_the_user_typed_wrong_are_configuration_errors(surface: Surface) -> None:
    from xtract_gui.target import connect_prism

    with pytest.raises(ConfigurationError, match="fingerprint"):
        connect_prism("127.0.0.1", "admin", "x", port=surface.sim.port, expected_fingerprint="12:34")
    with pytest.raises(ConfigurationError, match="protocol"):
        connect_prism("127.0.0.1", "admin", "x", port=surface.sim.port, protocol="ftp")
    vm_uuid = surface.target.create_vm(vm_spec(surface.target, "t", nics=()))
    with pytest.raises(ConfigurationError, match="power transition"):
        surface.target.set_power_state(vm_uuid, "reboot")
