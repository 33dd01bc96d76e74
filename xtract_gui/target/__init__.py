"""The Nutanix target: Prism Element (v2.0) and Prism Central (v3) behind ``TargetPlatform``.

``connect_prism(...)`` probes the address and returns the right adapter; ``probe_certificate(...)``
reads a server's certificate fingerprint so the user can accept (pin) it.
"""

from __future__ import annotations

from .connect import connect_prism
from .prism_central import PrismCentral
from .prism_element import PrismElement
from .tasks import PrismTaskError
from .tls import probe_certificate

__all__ = ["PrismCentral", "PrismElement", "PrismTaskError", "connect_prism", "probe_certificate"]
