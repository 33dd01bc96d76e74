"""Real guests for the lab (``xtract-gui lab serve --boot qemu``, pytest marker ``boot``): QEMU boots the lab
source's VMs on VMware-like hardware and the VMs the Prism simulator powers on on AHV-like hardware.

``hardware`` builds the command lines, ``process`` runs one QEMU (QMP), ``accel`` picks KVM or TCG,
``images`` reads the guest images the builder in ``tests/images`` makes, ``guests`` ties them to the lab
source and the Prism simulator, ``lab`` makes the plan's SSH access.
"""
