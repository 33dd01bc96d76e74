"""Maintain the translations: ``python -m xtract_gui.gui.i18n update|compile|check``.

``update`` runs ``pyside6-lupdate`` over the GUI sources and the Designer forms, then adds what lupdate
cannot see because it is not a literal ``tr()`` call:

- context ``messages``: every ``domain.messages`` message the code makes — ``msg("id", "template", …)`` and
  ``plural("id", n, "one", "other", …)`` calls with literal ids and templates anywhere in the package (domain,
  engine, adapters, wizard) — with the English template as the source and the id as the disambiguation, and
  the step titles the engine keeps as plain English (guest task titles from the manifest, the engine's own
  literal titles) under the id ``step``;
- the table models' column titles and words (one context per model).

Existing translations are kept, also across a move (a source found under another context or id takes the
translation it had).  ``compile`` runs ``pyside6-lrelease`` (shipped with PySide6-Essentials) to produce the
``.qm`` files the app loads.  ``check`` lists unfinished messages and fails if there are any.
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
PACKAGE = Path(__file__).resolve().parent.parent
STEP_ID = "step"


def ts_path(lang: str) -> Path:
    return paths.assets_dir() / "i18n" / f"xtract_{lang}.ts"


def _gui_sources() -> list[Path]:
    return sorted(Path(__file__).parent.rglob("*.py"))


def _literal(node: ast.AST) -> str | None:
    """A string literal, or adjacent literals joined (Python joins "a" "b" at compile time: ast sees one)."""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def message_templates() -> list[tuple[str, str]]:
    """(id, English template) of every ``msg``/``plural`` call with literal arguments in the package."""
    found: set[tuple[str, str]] = set()
    for source in sorted(PACKAGE.rglob("*.py")):
        if "lab" in source.relative_to(PACKAGE).parts[:1]:
            continue  # the lab's simulators speak for remote systems: their words are never translated
        try:
            tree = ast.parse(source.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", "") or getattr(node.func, "attr", "")
            args = [_literal(a) for a in node.args]
            if name == "msg" and len(args) >= 2 and args[0] and args[1] is not None:
                found.add((args[0], args[1]))
            elif name == "plural" and len(args) >= 4 and args[0] and args[2] and args[3]:
                found.add((args[0] + ".one", args[2]))
                found.add((args[0] + ".other", args[3]))
    return sorted(found)


def step_titles() -> list[str]:
    """Titles the detail pane shows as plain English: guest tasks from the resources manifest, and the engine's
    own literal step titles."""
    titles: set[str] = set()
    manifest = paths.resources_dir() / "manifest.json"
    with contextlib.suppress(OSError, ValueError, KeyError):  # no manifest: the engine's titles still count
        tasks = json.loads(manifest.read_text(encoding="utf-8"))["tasks"]
        titles |= {str(t["title"]) for t in tasks if "title" in t}
    for source in (PACKAGE / "engine").glob("*.py"):
        # The step id is a literal or a constant (STEP_ID); the title must be a literal to be found.
        titles |= set(re.findall(r'step\(\s*(?:f?"[^"]+"|[A-Z_]+),\s*"([^"{}]+)"', source.read_text(encoding="utf-8")))
    return sorted(titles)


def messages() -> list[tuple[str, str]]:
    """(template, id) pairs of the ``messages`` context."""
    return sorted({(template, mid) for mid, template in message_templates() if template.strip()}
                  | {(title, STEP_ID) for title in step_titles()})


def extra_messages() -> dict[str, list[str]]:
    from .monitor.jobs_model import STATE_TEXT, JobsModel
    from .monitor.steps_model import StepsModel
    from .wizard.guests_model import GuestsModel
    from .wizard.inventory_model import InventoryModel

    inventory = [*InventoryModel.COLUMNS, "checking…", "blocked", "warnings", "ready", "migrated before", "on", "off",
                 "suspended"]
    return {"InventoryModel": inventory,
            "JobsModel": [*JobsModel.COLUMNS, *STATE_TEXT.values(), "Ready for cutover", "{time} (measured)",
                          "{time} (projected)", "creating…", "removing…", "{name} (running)"],
            "GuestsModel": [*GuestsModel.COLUMNS, "host key to check", "no guest preparation", "not tested", "OK",
                            "failed", "none"],
            "StepsModel": list(StepsModel.COLUMNS)}


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
    done = {(ctx, src, comment): text for ctx, src, comment, text in translations(lang)} if ts.exists() else {}
    by_source: dict[str, str] = {}
    for (_, src, _), text in done.items():
        by_source.setdefault(src, text)
    sources = [str(p) for p in _gui_sources()] + [str(p) for p in sorted(paths.ui_dir().glob("*.ui"))]
    subprocess.run([_tool("pyside6-lupdate"), *sources, "-no-obsolete", "-locations", "none", "-ts", str(ts)],
                   check=True, capture_output=True)
    tree = ET.parse(ts)
    root = tree.getroot()
    root.set("language", lang)
    contexts = {c.findtext("name", ""): c for c in root.findall("context")}

    def context(name: str) -> ET.Element:
        if name not in contexts:
            ctx = ET.SubElement(root, "context")
            ET.SubElement(ctx, "name").text = name
            contexts[name] = ctx
        return contexts[name]

    def add(ctx: ET.Element, text: str, comment: str = "") -> None:
        m = ET.SubElement(ctx, "message")
        ET.SubElement(m, "source").text = text
        if comment:
            ET.SubElement(m, "comment").text = comment
        ET.SubElement(m, "translation", {"type": "unfinished"})

    for name, texts in extra_messages().items():
        ctx = context(name)
        known = {m.findtext("source") for m in ctx.findall("message")}
        for text in texts:
            if text not in known:
                add(ctx, text)
    ctx = context("messages")
    for m in list(ctx.findall("message")):
        ctx.remove(m)  # made again from the code: a message the code no longer makes goes
    for template, mid in messages():
        add(ctx, template, mid)
    for old in ("flow", "steps", "units"):  # contexts of before the one message mechanism
        if old in contexts:
            root.remove(contexts.pop(old))
    for ctx in root.findall("context"):
        name = ctx.findtext("name", "")
        for m in ctx.findall("message"):
            t = m.find("translation")
            key = (name, m.findtext("source", ""), m.findtext("comment", "") or "")
            previous = done.get(key) or by_source.get(key[1])
            if t is not None and t.get("type") == "unfinished" and previous:
                t.text = previous
                t.attrib.pop("type")
    for ctx in root.findall("context"):  # strings built at run time from a variable context
        if not ctx.findtext("name"):
            root.remove(ctx)
    ET.indent(tree)
    tree.write(ts, encoding="utf-8", xml_declaration=True)
    return ts


def translations(lang: str) -> list[tuple[str, str, str, str]]:
    """(context, source, comment, translation) of every finished message."""
    out = []
    for ctx in ET.parse(ts_path(lang)).getroot().findall("context"):
        for m in ctx.findall("message"):
            t = m.find("translation")
            if t is not None and t.get("type") != "unfinished" and (t.text or "").strip():
                out.append((ctx.findtext("name", ""), m.findtext("source", ""), m.findtext("comment", "") or "",
                            t.text or ""))
    return out


def unfinished(lang: str) -> list[tuple[str, str]]:
    root = ET.parse(ts_path(lang)).getroot()
    out = []
    for ctx in root.findall("context"):
        for m in ctx.findall("message"):
            t = m.find("translation")
            source = m.findtext("source", "")
            if not re.search(r"[A-Za-z]", re.sub(r"\{[^}]*\}", "", source)):
                continue  # nothing to translate: "–", "{text}", "{s} s"-like units are checked by their own id
            if t is None or t.get("type") == "unfinished" or not (t.text or "").strip():
                out.append((ctx.findtext("name", ""), source))
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
