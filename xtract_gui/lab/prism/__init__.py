"""The lab Prism: a real threaded HTTP(S) server that the real target adapter talks to.

``PrismSimulator(state_dir, mode="pe"|"pc", tls=…)`` serves one AHV cluster whose storage containers
are directories ``state_dir/containers/<name>/`` (the NFS lab exports the same directories, and the
Prism path ``/<container>/<path>`` is that file).  Prism Element mode serves v2.0 (under both
``/PrismGateway/services/rest/v2.0`` and ``/api/nutanix/v2.0``), the v0.8 image upload and v3
``/versions``; Prism Central mode serves v3 and answers with ``X-Ntnx-Env: pc``.

Known deviations from real Prism:

- One cluster, one node, no hosts: VMs do not run anything; a power change only flips the state and
  calls ``on_power_change`` (the demo lab "boots" its guest there).  NIC IPs appear only through
  ``set_nic_ips``.  acpi_shutdown always succeeds at once.
- ``PrismSimulator(mode="pc", element=pe)`` fronts that Prism Element's own cluster (one set of objects, as
  on a registered cluster); without ``element`` Prism Central keeps a cluster of its own.
- Prism Central manages one cluster of its own unless ``add_cluster(element)`` adds the cluster of a Prism
  Element simulator (its own state: containers, subnets, NFS whitelist, VMs), which the lab binds to another
  loopback address (127.0.0.2, …) on the first element's port, as real elements share port 9440.  PC reads
  that element's state live (real PC syncs a few seconds later) and lists its cluster (with its
  ``external_ip``) and its subnets (``cluster_reference`` the subnet's own cluster).  VMs, images and tasks
  stay PC's own cluster's: a VM create whose ``cluster_reference`` names an added cluster is refused with
  422 INVALID_REQUEST (real PC places it there), and that element's VMs are not in PC's ``vms/list``.  An
  unknown ``cluster_reference`` is ignored (the VM lands on PC's own cluster).
- Prism Central lists itself among the clusters like pc.2024.1 (service_list PRISM_CENTRAL, no nodes);
  ``product_headers=False`` drops ``X-Ntnx-Env``/``X-Ntnx-Product`` like older releases.
- Prism Central serves only the v3 calls the product uses (versions, prism_central, clusters, subnets,
  vms, vm snapshot, images incl. ``/file``, tasks); no categories, projects, v4, v1, or the PC's own
  v2 proxy.  PC storage containers and the NFS whitelist must be read from a Prism Element simulator.
- Prism Element answers every other v3 call with 500 + ``ENTITY_READ_ERROR`` (real AOS versions
  differ in which v3 calls they refuse and with which status).
- v3 filters: only ``name==`` style clauses (``vm_name``, ``image_name``, …) joined by ``;``, matched
  exactly after percent-decoding; real FIQL also does regex-like matching.  Lists cap ``length`` at 500.
- spec_version: a PUT with a version older than the stored one gets 409 CONCURRENT_REQUESTS_NOT_ALLOWED,
  never the newer "202 + FAILED task" form; a newer or equal version is accepted.  Only name, description,
  CPU, memory, boot type, machine type and power state of a PUT are applied; disk and NIC changes are
  ignored.
- Images keep the bytes as sent (vmdk/qcow2 stay in their format; ``disk_format`` is recorded in the
  state, not shown by the API) where AOS converts to raw; ``size_bytes`` is the virtual size read from
  the qcow2/VMDK sparse header, else the file size.  Images live in ``<container>/.acropolis/image/``.
  ``source_uri`` / ``image_import_spec.url`` accept only ``nfs://<host>/<container>/<path>`` and copy that
  file (holes kept); a host that is no cluster's external IP is read from PC's own cluster.
- Placement (``images.py``): a v3 image without ``initial_placement_ref_list`` is placed on every cluster PC
  manages, as real PC does: an upload is copied into each added cluster's SelfServiceContainer by the upload
  task, and an ``nfs://`` import fails (task FAILED, IMAGE_IMPORT_FAILED) when a placed cluster's external IP
  is not in the serving cluster's cluster-wide NFS whitelist.  Real PC copies between clusters at its own pace
  and may place the image partly; the lab copies inside the task and fails it whole.
- VM disks are cloned as on AHV: every disk of a new VM (from ``ndfs_filepath``, from an image, or empty)
  gets its own raw file ``<container>/.acropolis/vmdisk/<disk uuid>`` (the vmdisk uuid both surfaces
  show), copied with holes kept; the source file or image can then be removed.  A stream-optimized VMDK
  image is converted to raw on clone (the format the cold mode uploads); other non-raw images (qcow2,
  VHDX, monolithic sparse VMDK) are cloned byte for byte in their own format.  Deleting a VM deletes its
  vmdisks.  ``PrismSimulator.vm_disk_files`` names them for the lab's byte-exact check.
- Uploads: v3 ``PUT /images/{uuid}/file`` answers 200 when the bytes are stored; a SHA_256 checksum
  header is verified (422 on mismatch).  The image then stays PENDING until PC's own "ImageUpload" task has
  run (one task, listed with the create task in ``status.execution_context.task_uuid``); real PC may run
  several and turn a failed image to ERROR, the lab's image stays PENDING when its task FAILED
  (``fail_next_task``).  A v0.8 upload answers its task; after it SUCCEEDED the image reads INACTIVE (no
  ``vm_disk_id``) for ``image_settle`` seconds (default two task durations), as X-Ray saw on real AHV; real
  clusters do it sometimes, not always.  v0.8 upload accepts chunked bodies too (real AOS wants a
  Content-Length).  A dropped upload leaves the image without data (PENDING/INACTIVE).
- v2 errors: 404 + error_code 1202 for a missing entity, 500 + 1100 for an invalid request; async v2
  calls answer 201 ``{task_uuid}``.  ``GET /cluster/nfs_whitelist`` returns a plain list of strings.
- v2.0 request bodies are checked against their DTO in the real v2.0 schema (``v2_schema.py``: fields, types,
  enums, required fields) and refused like any invalid request, naming the first problem in Jackson's words
  ("Unrecognized field 'machine_type' … not marked as ignorable").  That ``machine_type`` is not in the create
  DTO is a fact of the schema; the exact status and wording real AOS answers for an unknown field is not
  evidenced (some releases may ignore it instead: either way no Q35 VM is made).
- v2.0 lists page as the schema says: ``/vms`` by ``offset``/``length`` (start_index = offset; count/page are
  ignored), ``/storage_containers`` by ``count``/``page``, ``/networks`` and ``/images`` not at all;
  ``grand_total_entities`` counts every VM, ``total_entities`` the ones a ``vm_name==`` filter matched.
- A path with an encoded slash (``%2F``) is answered 400 with an HTML page before routing or auth, as Tomcat's
  default ``encodedSolidusHandling="reject"`` does; ``DELETE /cluster/nfs_whitelist/<ip>/<mask>`` takes the raw
  slash (the real path template is ``{name:.+}``).
- Tasks last ``task_delay`` seconds (default 0.05 s; a change also applies to running tasks), move in five
  steps, and their effect happens at the end; a task running when the simulator stops is FAILED after a
  restart; only the last 1000 tasks are kept.
- Sessions never time out by themselves (``expire_sessions`` ends them); there are no users, roles or
  403s unless injected.  Every request is logged in ``request_log`` (method, path, status).
- Containers may have an NFS whitelist of their own (``ContainerSeed.nfs_whitelist``; then
  ``nfs_whitelist_inherited`` is false, as on AOS); nothing in the lab enforces it or the cluster-wide list:
  the NFS peers (ganesha, the local folder) let every client in, tests that need a refusal configure them.
- A v3 disk cloned from an image lands in the image's container whatever its ``storage_config`` says (real v3
  ignores it, terraform-provider-nutanix issues #223/#686); PC's images live in SelfServiceContainer.  A v2
  clone honours ``storage_container_uuid``.
- The lab Prism serves no NFS (the tests use nfs-ganesha, the demo a local folder).  ``nfs_faults.JukeboxProxy``
  puts a real NFS server behind a proxy that answers chosen procedures NFS3ERR_JUKEBOX, as a busy cluster does;
  it does not delay the server's own answers.
- Free space of a container is its capacity minus the blocks its directory really uses (and minus the
  seeded usage), not a thin-provisioning model.
"""

from __future__ import annotations

from .simulator import PrismSimulator
from .state import ClusterSeed, ContainerSeed, SubnetSeed

__all__ = ["ClusterSeed", "ContainerSeed", "PrismSimulator", "SubnetSeed"]
