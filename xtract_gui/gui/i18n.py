"""Maintain the translations: ``python -m xtract_gui.gui.i18n update|compile|check``.

``update`` runs ``pyside6-lupdate`` over the GUI sources and the Designer forms,
then adds the strings lupdate cannot see because they are not literal ``tr()``
calls: the flow's messages (context ``flow``), the table headers and job states
(model contexts) and the engine's step titles (context ``steps``).  Existing
translations are kept.  ``compile`` runs ``pyside6-lrelease`` (shipped with
PySide6-Essentials) to produce the ``.qm`` files the app loads.  ``check``
lists unfinished messages and fails if there are any.
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from .. import paths

LANGS = ("ja",)


def ts_path(lang: str) -> Path:
    return paths.assets_dir() / "i18n" / f"xtract_{lang}.ts"


def _gui_sources() -> list[Path]:
    return sorted(Path(__file__).parent.rglob("*.py"))


def flow_templates() -> list[str]:
    """Every literal template passed to ``msg()`` in the flow modules and texts."""
    out = []
    here = Path(__file__).parent
    nodes = [n for name in ("wizard/flow.py", "wizard/flow_answers.py", "wizard/flow_rules.py", "shared/texts.py")
             for n in ast.walk(ast.parse((here / name).read_text(encoding="utf-8")))]
    for node in nodes:
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "msg" and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            out.append(node.args[0].value)
    return sorted(set(out))


def step_titles() -> list[str]:
    """Titles the detail pane shows: guest tasks from the resources manifest, and the engine's own steps."""
    titles = {"Sync {n}"}
    manifest = paths.resources_dir() / "manifest.json"
    with contextlib.suppress(OSError, ValueError, KeyError):  # no manifest: the engine's titles still count
        tasks = json.loads(manifest.read_text(encoding="utf-8"))["tasks"]
        titles |= {str(t["title"]) for t in tasks if "title" in t}
    engine = Path(__file__).resolve().parent.parent / "engine"
    for source in engine.glob("*.py"):
        # The step id is a literal or a constant (STEP_ID); the title must be a literal to be found.
        titles |= set(re.findall(r'step\(\s*(?:"[^"]+"|[A-Z_]+),\s*"([^"{}]+)"', source.read_text(encoding="utf-8")))
    return sorted(titles)


def extra_messages() -> dict[str, list[str]]:
    from .monitor.steps_model import StepsModel
    from .shared.models import STATE_TEXT, InventoryModel, JobsModel
    from .shared.texts import SECONDS_TEMPLATES
    from .wizard.pages_vms import GuestsPage

    inventory = [*InventoryModel.COLUMNS, "checking…", "blocked", "warnings", "ready", "on", "off",
                 "suspended"]
    return {"flow": flow_templates(), "InventoryModel": inventory,
            "JobsModel": [*JobsModel.COLUMNS, *STATE_TEXT.values(), "Ready for cutover", "{time} (measured)"],
            "GuestsPage": list(GuestsPage.COLS),
            "StepsModel": list(StepsModel.COLUMNS), "steps": step_titles(), "units": list(SECONDS_TEMPLATES)}


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    import PySide6

    candidate = Path(PySide6.__file__).parent / name.removeprefix("pyside6-")
    if candidate.exists():
        return str(candidate)
    raise SystemExit(f"{name} not found: install PySide6-Essentials (it ships lupdate and lrelease).")


def update(lang: str) -> Path:
    ts = ts_path(lang)
    ts.parent.mkdir(parents=True, exist_ok=True)
    # lupdate drops, as obsolete, the contexts it cannot see; remember every translation first.
    done = {(ctx, src): text for ctx, src, text in translations(lang)} if ts.exists() else {}
    sources = [str(p) for p in _gui_sources()] + [str(p) for p in sorted(paths.ui_dir().glob("*.ui"))]
    subprocess.run([_tool("pyside6-lupdate"), *sources, "-no-obsolete", "-locations", "none", "-ts", str(ts)],
                   check=True, capture_output=True)
    tree = ET.parse(ts)
    root = tree.getroot()
    root.set("language", lang)
    contexts = {c.findtext("name", ""): c for c in root.findall("context")}
    for name, texts in extra_messages().items():
        ctx = contexts.get(name)
        if ctx is None:
            ctx = ET.SubElement(root, "context")
            ET.SubElement(ctx, "name").text = name
            contexts[name] = ctx
        known = {m.findtext("source") for m in ctx.findall("message")}
        for text in texts:
            if text not in known:
                m = ET.SubElement(ctx, "message")
                ET.SubElement(m, "source").text = text
                ET.SubElement(m, "translation", {"type": "unfinished"})
    for ctx in root.findall("context"):
        for m in ctx.findall("message"):
            t = m.find("translation")
            previous = done.get((ctx.findtext("name", ""), m.findtext("source", "")))
            if t is not None and t.get("type") == "unfinished" and previous:
                t.text = previous
                t.attrib.pop("type")
    for ctx in root.findall("context"):  # strings built at run time from a variable context
        if not ctx.findtext("name"):
            root.remove(ctx)
    ET.indent(tree)
    tree.write(ts, encoding="utf-8", xml_declaration=True)
    return ts


def translations(lang: str) -> list[tuple[str, str, str]]:
    """(context, source, translation) of every finished message."""
    out = []
    for ctx in ET.parse(ts_path(lang)).getroot().findall("context"):
        for m in ctx.findall("message"):
            t = m.find("translation")
            if t is not None and t.get("type") != "unfinished" and (t.text or "").strip():
                out.append((ctx.findtext("name", ""), m.findtext("source", ""), t.text or ""))
    return out


def unfinished(lang: str) -> list[tuple[str, str]]:
    root = ET.parse(ts_path(lang)).getroot()
    out = []
    for ctx in root.findall("context"):
        for m in ctx.findall("message"):
            t = m.find("translation")
            if t is None or t.get("type") == "unfinished" or not (t.text or "").strip():
                out.append((ctx.findtext("name", ""), m.findtext("source", "")))
    return out


def compile_qm(lang: str) -> Path:
    ts = ts_path(lang)
    qm = ts.with_suffix(".qm")
    subprocess.run([_tool("pyside6-lrelease"), str(ts), "-qm", str(qm)], check=True, capture_output=True)
    return qm


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    command = args[0] if args else "check"
    for lang in LANGS:
        if command == "update":
            print(update(lang))
        elif command == "compile":
            print(compile_qm(lang))
        missing = unfinished(lang)
        for ctx, text in missing:
            print(f"{lang}: unfinished [{ctx}] {text}")
        if command == "check" and missing:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
