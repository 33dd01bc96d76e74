"""The lab's ``--boot qemu`` mode: one real Linux guest per image family, and the plan's SSH access to each.

The images come from the builder in a source checkout (``tests/images/build.py``: debootstrap and QEMU,
as root, cached); an installed app without it says how to get them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ...domain.errors import ConfigurationError
from ...domain.plan import GuestAccess, GuestChannelKind, SecretRef
from .guests import RealGuest, RealGuests
from .images import GuestImage

FAMILIES = ("debian", "rhel", "ubuntu")


def image_builder() -> Callable[[str], GuestImage]:
    try:
        from tests.images.build import ensure_image  # only in a source checkout (debootstrap, root)
    except ImportError as exc:
        raise ConfigurationError("Real lab guests are built from a source checkout of xtract-gui.",
                                 hint="Run 'python3 -m tests.images.build' there (as root), or use the lab "
                                      "without --boot qemu.") from exc
    return ensure_image  # type: ignore[no-any-return]


def real_guests(state_dir: Path, families: Sequence[str], *,
                images: Callable[[str], GuestImage] | None = None, first_id: int = 2001) -> RealGuests:
    """A ``RealGuests`` with one powered-on source VM per family (not started: call ``start()``)."""
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        raise ConfigurationError(f"Unknown guest image family {unknown[0]!r}.", hint=f"Use {', '.join(FAMILIES)}.")
    build = images or image_builder()
    guests = RealGuests(state_dir)
    for i, family in enumerate(families):
        guests.add_vm(build(family), name=f"lab-{family}-{i + 1:02d}", vm_id=f"vm-{first_id + i}")
    return guests


def guest_access(guest: RealGuest, service: str) -> tuple[GuestAccess, dict[tuple[str, str], str]]:
    """The plan's SSH access to ``guest`` (through its forward on 127.0.0.1) and the secrets it names."""
    image = guest.image
    secrets: dict[tuple[str, str], str] = {}
    password = key = None
    if image.password:
        password = SecretRef(service, f"{image.user}@{guest.vm_id}")
        secrets[(password.service, password.username)] = image.password
    if image.private_key and not image.password:
        key = SecretRef(service, f"{image.user}@{guest.vm_id}-key")
        secrets[(key.service, key.username)] = image.private_key
    access = GuestAccess(channel=GuestChannelKind.SSH, user=image.user, password=password, ssh_key=key,
                         ssh_host="127.0.0.1", ssh_port=guest.ssh_port, ssh_host_key=image.host_key)
    return access, secrets
