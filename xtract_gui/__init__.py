"""xtract-gui: migrate running VMware vSphere VMs to Nutanix AHV with minimal downtime."""

__version__ = "0.1.0"
