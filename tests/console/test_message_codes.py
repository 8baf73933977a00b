"""Every code the server can emit has a zh and an en entry in the console's catalogs
(jinghang/console/js/i18n.js, evaluated with node): the codes of the JinghangError classes,
the alert codes (jinghang/alerts/codes.py), the dispatcher's rejection codes
(jinghang/dispatch/selection.py), every ``code="..."`` given in the server's source (problem
bodies, refusals) and the audit actions it writes (found as ``action="..."``). A code missing
from either language fails, listed by name. And problem+json bodies are made in one place
(jinghang/api/problems.py, which always sets a code): no route raises a bare HTTPException."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import jinghang
from jinghang.errors import JinghangError

ROOT = Path(__file__).resolve().parents[2]
I18N = ROOT / "jinghang" / "console" / "js" / "i18n.js"
#: argparse's actions, not audit actions
NOT_AUDIT = {"append", "store_true", "store_false", "count", "x"}

DUMP_JS = """
globalThis.localStorage = {getItem: () => null, setItem: () => {}};
globalThis.document = {documentElement: {}, querySelectorAll: () => []};
const m = await import(process.argv[2]);
process.stdout.write(JSON.stringify(m.__STRINGS));
"""


@pytest.fixture(scope="module")
def catalogs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed; the catalog check needs it")
    where = tmp_path_factory.mktemp("i18n")
    module = where / "i18n.mjs"
    module.write_text(I18N.read_text(encoding="utf-8") + "\nexport const __STRINGS = STRINGS;\n",
                      encoding="utf-8")
    script = where / "dump.mjs"
    script.write_text(DUMP_JS, encoding="utf-8")
    out = subprocess.run([node, str(script), module.as_uri()], capture_output=True, text=True,
                         timeout=60, check=True)
    return dict(json.loads(out.stdout))


def error_codes() -> set[str]:
    """The ``code`` of every JinghangError class in the package (every module imported)."""
    for info in pkgutil.walk_packages(jinghang.__path__, "jinghang."):
        if ".migrations" in info.name or info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except Exception:  # an optional dependency missing: its errors unseen
            continue
    codes: set[str] = set()
    todo = [JinghangError]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        codes.add(cls.code)
    return codes


def audit_actions() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "jinghang").rglob("*.py"):
        found.update(re.findall(r'\baction="([a-z_.]+)"', path.read_text(encoding="utf-8")))
    return found - NOT_AUDIT


def source_codes() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "jinghang").rglob("*.py"):
        found.update(re.findall(r'\bcode="([a-z0-9_]+(?:\.[a-z0-9_]+)*)"',
                                path.read_text(encoding="utf-8")))
    return found


def missing(catalogs: dict[str, dict[str, str]], keys: set[str]) -> list[str]:
    return sorted(f"{lang}: {key}" for lang in ("zh", "en") for key in keys
                  if key not in catalogs[lang])


def test_every_error_code_is_in_both_catalogs(catalogs: dict[str, dict[str, str]]) -> None:
    assert missing(catalogs, {f"code.{code}" for code in error_codes()}) == []


def test_every_alert_code_is_in_both_catalogs(catalogs: dict[str, dict[str, str]]) -> None:
    from jinghang.alerts.codes import CODES

    assert missing(catalogs, {f"alert.code.{code}" for code in CODES}) == []


def test_every_rejection_code_is_in_both_catalogs(catalogs: dict[str, dict[str, str]]) -> None:
    from jinghang.dispatch.selection import MESSAGE_CODES

    assert missing(catalogs, {f"code.{code}" for code in MESSAGE_CODES.values()}) == []


def test_every_audit_action_is_in_both_catalogs(catalogs: dict[str, dict[str, str]]) -> None:
    actions = audit_actions()
    assert "auth.login" in actions  # the scan finds them
    assert missing(catalogs, {f"action.{action}" for action in actions}) == []


def test_every_code_given_in_the_source_is_in_both_catalogs(
    catalogs: dict[str, dict[str, str]],
) -> None:
    codes = source_codes()
    assert "auth.locked" in codes  # the scan finds them
    assert missing(catalogs, {f"code.{code}" for code in codes}) == []


def test_problem_bodies_are_made_only_where_they_get_a_code() -> None:
    makers = []
    for path in (ROOT / "jinghang").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(ROOT))
        if "HTTPException(" in text:
            makers.append(f"{name}: HTTPException (a code-less problem)")
        if "problem+json" in text and name not in {"jinghang/api/problems.py",
                                                   "jinghang/api/openapi.py", "jinghang/errors.py"}:
            makers.append(f"{name}: its own problem+json")
    assert makers == []
