"""Packaging beyond what pyproject.toml can say: the wheel carries the repository's top-level ``resources/``,
``assets/`` and ``ui/`` as ``xtract_gui/_data/<name>`` (found there by ``xtract_gui.paths``), while the
checkout keeps them at the top where people edit them. Metadata and everything else: pyproject.toml.
"""

from setuptools import find_packages, setup

SHIPPED = ("resources", "assets", "ui")

setup(
    packages=find_packages(include=["xtract_gui", "xtract_gui.*"]) + [f"xtract_gui._data.{d}" for d in SHIPPED],
    package_dir={f"xtract_gui._data.{d}": d for d in SHIPPED},
    package_data={
        **{f"xtract_gui._data.{d}": ["**/*"] for d in SHIPPED},
        # The lab's vCenter simulator is built from its Go sources at first use (xtract_gui/lab/vcsim/build.py).
        # (A [tool.setuptools.package-data] table in pyproject.toml would replace this whole mapping.)
        "xtract_gui.lab.vcsim": ["go/*.go"],
    },
    # README pictures, not read by the app.
    exclude_package_data={"xtract_gui._data.assets": ["screenshots/*"]},
)
