"""Where the app finds its shipped files and keeps its own: from a checkout, a wheel or a frozen build.

Shipped files (``resources/`` guest scripts, ``assets/`` icons/style/translations, ``ui/`` forms) sit at the
top of the repository. An installed copy carries them inside the package as ``xtract_gui/_data/<name>``:
setup.py maps them there in the wheel, installer/xtract-gui.spec in the frozen build. One lookup serves all
three: the package's own folder (``importlib.resources``, a real folder in every way we ship) first, then
the checkout around it.

The app's own files (SQLite store, logs, pinned certificates, settings) hold hosts, user names, guest
outputs and the journal: ``keep_files_private`` makes everything the process creates its user's alone, and
``data_dir``/``log_dir`` create their folder 0700 (tightening one an older version left open).
"""

from __future__ import annotations

import os
import stat
from importlib import resources
from pathlib import Path

from .domain.errors import ConfigurationError

APP_NAME = "xtract-gui"
SHIPPED = ("resources", "assets", "ui")
INSTALLED = "_data"  # xtract_gui/_data/<name> in a wheel or a frozen build
PRIVATE_UMASK = 0o077


def package_dir() -> Path:
    """The ``xtract_gui`` package folder: the checkout's, site-packages', or the frozen build's (PyInstaller
    answers ``importlib.resources`` with its unpacked folder)."""
    root = resources.files(__package__ or "xtract_gui")
    return Path(str(root)) if isinstance(root, Path) else Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """``resources``, ``assets`` or ``ui``: inside the installed package, else the checkout's top-level folder.
    When neither exists, the installed location (the one error messages should name)."""
    if name not in SHIPPED:
        raise ValueError(f"not a shipped folder: {name}")
    package = package_dir()
    installed, checkout = package / INSTALLED / name, package.parent / name
    if installed.is_dir():
        return installed
    # A wheel must never fall back to site-packages/<name>: only a checkout (pyproject.toml beside it) may.
    if checkout.is_dir() and (package.parent / "pyproject.toml").is_file():
        return checkout
    return installed


def resources_dir() -> Path:
    return shipped_dir("resources")


def assets_dir() -> Path:
    return shipped_dir("assets")


def ui_dir() -> Path:
    return shipped_dir("ui")


# -- the app's own files ---------------------------------------------------------------------------


def keep_files_private() -> None:
    """From now on this process creates folders 0700 and files 0600 (POSIX umask; stricter bits the user set
    stay). Called first by the composition roots (cli.main, gui.app.run_gui), so the store, its WAL, per-VM
    logs, xtract-gui.log, trusted-certificates.json and gui.ini are born private wherever the code making them
    lives. On Windows the data and log folders are under the user's profile (%LOCALAPPDATA%), whose ACL admits
    only the user, SYSTEM and Administrators; new files inherit it."""
    if os.name == "posix":
        previous = os.umask(PRIVATE_UMASK)
        os.umask(previous | PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner can enter (0700): created so, or tightened with its direct entries
    when an older version left it open. Refuses a folder that belongs to another user (a planted store or log
    folder would receive our journal)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name != "posix":
        return path
    st = path.stat()
    uid = os.getuid()
    if st.st_uid != uid and uid != 0:
        raise ConfigurationError(
            f"The folder {path} belongs to another user; xtract-gui keeps hosts, user names and the migration "
            "journal there.", hint="Set XTRACT_GUI_HOME to a folder of your own, or remove that folder.")
    if stat.S_IMODE(st.st_mode) & 0o077:
        path.chmod(0o700)
        # Entries made by an older version (0644): a 0700 folder already keeps others out, this keeps a copy
        # of the folder (backup, archive) private too. Symbolic links are left alone (chmod would follow them).
        for entry in path.iterdir():
            try:
                est = entry.lstat()
                if not stat.S_ISLNK(est.st_mode) and est.st_uid == uid and stat.S_IMODE(est.st_mode) & 0o077:
                    entry.chmod(stat.S_IMODE(est.st_mode) & 0o700)
            except OSError:
                continue
    return path


def _platformdirs():  # type: ignore[no-untyped-def]
    import platformdirs

    return platformdirs.PlatformDirs(APP_NAME, appauthor=False)


def data_dir() -> Path:
    """The SQLite store lives here; XTRACT_GUI_HOME overrides it (tests, portable installs)."""
    override = os.environ.get("XTRACT_GUI_HOME")
    return private_dir(Path(override) / "data" if override else Path(_platformdirs().user_data_dir))


def log_dir() -> Path:
    override = os.environ.get("XTRACT_GUI_HOME")
    return private_dir(Path(override) / "logs" if override else Path(_platformdirs().user_log_dir))
