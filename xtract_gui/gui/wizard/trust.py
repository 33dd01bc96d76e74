"""What the wizard trusts across sessions: passwords (the OS keyring, or memory only) and pinned certificates."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from ...domain.errors import XtractError
from ...domain.plan import SecretRef


class SessionSecrets:
    """A SecretStore: the OS keyring, with passwords the user chose not to remember kept in memory only."""

    def __init__(self, keyring: Any | None) -> None:
        self.keyring = keyring  # the backing SecretStore: the OS keyring, or the lab's dict in demo mode
        self._memory: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get(self, service: str, username: str) -> str | None:
        with self._lock:
            if (service, username) in self._memory:
                return self._memory[(service, username)]
        return self.keyring.get(service, username) if self.keyring is not None else None

    def set(self, service: str, username: str, secret: str) -> None:
        self.remember(SecretRef(service, username), secret, persist=True)

    def delete(self, service: str, username: str) -> None:
        with self._lock:
            self._memory.pop((service, username), None)
        if self.keyring is not None:
            self.keyring.delete(service, username)

    def remember(self, ref: SecretRef, secret: str, *, persist: bool) -> str:
        """Keep ``secret`` for this session and, with ``persist``, in the keyring.  Returns why the keyring
        refused it ("" when stored): the session still works, but a restart will ask for it again."""
        with self._lock:
            self._memory[(ref.service, ref.username)] = secret
        if persist and self.keyring is not None:
            try:
                self.keyring.set(ref.service, ref.username, secret)
            except XtractError as exc:
                return exc.describe()  # shown in the GUI's language
        return ""

    def known_secrets(self) -> list[str]:
        """Every password typed in this session, for scrubbing crash reports."""
        with self._lock:
            return list(self._memory.values())


class FingerprintPins:
    """Certificates the user trusted, per host:port (trust on first use, pinned from then on)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def get(self, host: str, port: int) -> str:
        return self._load().get(f"{host}:{port}", "")

    def on_port(self, port: int) -> dict[str, str]:
        """Every host trusted on ``port``, host -> fingerprint (one file read, whatever the number of hosts)."""
        out = {}
        for key, fingerprint in self._load().items():
            host, _, key_port = key.rpartition(":")  # rpartition: an IPv6 host has colons of its own
            if host and key_port == str(port):
                out[host] = fingerprint
        return out

    def pin(self, host: str, port: int, fingerprint: str) -> None:
        data = self._load()
        data[f"{host}:{port}"] = fingerprint
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._path.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
