"""``PrismSimulator``: the lab Prism Element or Prism Central on a loopback port."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...tlspin import format_fingerprint
from .http import Faults, Sessions
from .ops import Cluster
from .server import PrismServer
from .state import ClusterSeed, PrismState
from .tasks import TaskEngine
from .v2 import V2Api
from .v3 import V3Api

PowerHook = Callable[[dict[str, Any]], None]


class PrismSimulator:
    """A Prism Element (``mode="pe"``: v2.0, v0.8 upload, v3 /versions) or Prism Central (``mode="pc"``: v3).

    ``product_headers=False`` leaves out ``X-Ntnx-Env``/``X-Ntnx-Product`` (older Prism Central releases).
    ``state_dir`` holds the JSON state and the containers' directories; a new simulator on the same
    ``state_dir`` sees the same objects.  ``on_power_change`` is called (on a task thread) with the
    VM's neutral JSON whenever a VM's power state changes.

    A Prism Central given ``element`` (a Prism Element simulator) fronts that element's own cluster: both
    surfaces read and change the same objects, as PC and PE do on a real registered cluster; ``state_dir`` then
    holds only PC's certificate.  Without it, Prism Central keeps a cluster of its own.
    """

    def __init__(self, state_dir: Path, *, mode: str = "pe", tls: bool = False, user: str = "admin",
                 password: str = "Nutanix/4u", cert: Path | None = None, key: Path | None = None,
                 seed: ClusterSeed | None = None, host: str = "127.0.0.1", port: int = 0,
                 on_power_change: PowerHook | None = None, product_headers: bool = True,
                 element: PrismSimulator | None = None) -> None:
        if mode not in ("pe", "pc"):
            raise ValueError(f"mode must be 'pe' or 'pc', not {mode!r}")
        if element is not None and (mode != "pc" or element.mode != "pe"):
            raise ValueError("only a Prism Central simulator fronts a Prism Element simulator's cluster")
        self.mode = mode
        self.state_dir = Path(state_dir)
        self.state = element.state if element is not None else PrismState(self.state_dir, seed or ClusterSeed())
        self.tasks = TaskEngine(self.state)
        self.ops = Cluster(self.state, self.tasks, self._power_changed)
        self.faults = Faults()
        self.on_power_change = on_power_change
        self._tls = tls
        self._cert, self._key = cert, key
        self._host, self._port = host, port
        self._product_headers = product_headers
        cookies = ("NTNX_IAM_SESSION", "NTNX_MERCURY_IAM_SESSION") if mode == "pc" else (
            "NTNX_IGW_SESSION", "JSESSIONID")
        self.sessions = Sessions(user, password, cookies)
        self._server: PrismServer | None = None
        self._thread: threading.Thread | None = None
        self.fingerprint = ""
        self.members: list[PrismSimulator] = []  # Prism Central's further clusters (see ``add_cluster``)
        self._member_states: list[PrismState] = []

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> PrismSimulator:
        self.tasks.resume()
        context = None
        if self._tls:
            if self._cert is None or self._key is None:
                from .certs import make_self_signed

                self._cert, self._key = make_self_signed(self.state_dir / "tls", self._host)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self._cert, self._key)
            self.fingerprint = format_fingerprint(ssl.PEM_cert_to_DER_cert(Path(self._cert).read_text()))
        upload_drop = self.faults.take_drop
        routes = V3Api(self.ops, pc=self.mode == "pc", upload_drop=upload_drop,
                       members=self._member_states).routes()
        if self.mode == "pe":
            routes += V2Api(self.ops, upload_drop=upload_drop).routes()
        self._server = PrismServer((self._host, self._port), routes=routes, faults=self.faults,
                                   sessions=self.sessions, pc=self.mode == "pc" and self._product_headers,
                                   product=self.state.data["pc"]["version"], ssl_context=context)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name=f"lab-prism-{self.mode}")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
            self._server = None
        self.tasks.stop()
        self.state.save()

    def __enter__(self) -> PrismSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://{self.host}:{self.port}"

    @property
    def request_log(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request so far; status 0 when the connection was dropped."""
        if self._server is None:
            return []
        with self._server.log_lock:
            return list(self._server.request_log)

    def add_cluster(self, element: PrismSimulator) -> None:
        """Prism Central also manages ``element``'s cluster (a Prism Element simulator with its own state).

        Its v3 ``clusters``/``subnets`` then show that cluster and its subnets, read live from the element's
        state, with the element's ``external_ip`` (the address the adapter reaches it at); containers and the
        NFS whitelist stay the element's own, as on real Prism.
        """
        if self.mode != "pc" or element.mode != "pe":
            raise ValueError("a Prism Central simulator adds Prism Element simulators")
        known = {self.state.cluster["uuid"], *(m.state.cluster["uuid"] for m in self.members)}
        if element.state.cluster["uuid"] in known:
            raise ValueError(f"cluster {element.state.cluster['uuid']} is already managed here")
        self.members.append(element)
        self._member_states.append(element.state)

    # -- fault injection ----------------------------------------------------------------------

    def fail_next(self, method: str, path_regex: str, status: int, count: int = 1, body: Any = None) -> None:
        """The next ``count`` requests matching answer ``status`` (with ``body`` or the surface's usual one)."""
        self.faults.fail_next(method, path_regex, status, count, body)

    def drop_connection_mid_upload(self, count: int = 1) -> None:
        """The next ``count`` image uploads are cut (connection reset) halfway through their body."""
        self.faults.drop_mid_upload(count)

    def task_delay(self, seconds: float) -> None:
        """How long a task takes from QUEUED to its end (running tasks follow a change at their next step)."""
        self.tasks.duration = seconds

    def fail_next_task(self, operation: str, code: str, detail: str) -> None:
        """The next task of ``operation`` (e.g. "ImageUpload", "ImageCreate", "kImageUpload") ends FAILED with
        ``code``/``detail`` instead of doing its work."""
        self.tasks.fail_next(operation, code, detail)

    def image_settle(self, seconds: float | None) -> None:
        """How long a Prism Element image reads INACTIVE after its upload task succeeded (None: two task
        durations, the default)."""
        self.ops.images.settle = seconds

    def expire_sessions(self) -> None:
        """Every session cookie handed out so far stops working (as after the ~15 min idle timeout)."""
        self.sessions.expire_all()

    # -- lab helpers --------------------------------------------------------------------------

    def set_nic_ips(self, vm_uuid: str, mac: str, ips: list[str]) -> None:
        """What the guest reports on one NIC (the demo lab calls it once the "guest" has booted)."""
        with self.state.lock:
            for nic in self.state.data["vms"][vm_uuid]["nics"]:
                if nic["mac_address"] == mac.lower():
                    nic["ip_addresses"] = list(ips)
            self.state.save()

    def image_record(self, image_uuid: str) -> dict[str, Any]:
        """The stored image (incl. ``disk_format`` as uploaded and its file path under state_dir)."""
        with self.state.lock:
            return dict(self.state.data["images"][image_uuid])

    def vm_uuids(self, name: str) -> list[str]:
        """The uuids of the VMs with that name (the lab check finds a migrated VM by its target name)."""
        with self.state.lock:
            return [v["uuid"] for v in self.state.data["vms"].values() if v["name"] == name]

    def vm_disk_files(self, vm_uuid: str) -> list[Path]:
        """The VM's own vdisk files (cloned at create), in device order, CD-ROMs left out."""
        with self.state.lock:
            disks = [d for d in self.ops.vm(vm_uuid)["disks"] if d.get("device_type", "DISK") == "DISK"]
            disks.sort(key=lambda d: (d["adapter_type"], d["device_index"]))
            return [self.ops.vdisk_file(d) for d in disks]

    def _power_changed(self, vm: dict[str, Any]) -> None:
        if self.on_power_change is not None:
            self.on_power_change(vm)
