"""axe-core inside a page the browser tests opened: the WCAG 2.1 A and AA rules, and every
violation named with the elements it found. axe-core comes from npm into .cache/axe (bash .ci/run
installs it; or COMPANION_AXE_JS names the file); without it the check skips with the reason.

The script is evaluated through the browser's debugging protocol, which the page's content
security policy does not govern, so the page's own policy stays as strict as in production."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
AXE_JS = Path(os.environ.get("COMPANION_AXE_JS") or PROJECT_ROOT / ".cache/axe/node_modules/axe-core/axe.min.js")
AXE_INSTALL = "npm install --prefix .cache/axe axe-core@4.14.1 (bash .ci/run does it)"
RUN = """async () => {
  const tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
  const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
}"""


@lru_cache(maxsize=1)
def _axe_source() -> str | None:
    return AXE_JS.read_text(encoding="utf-8") if AXE_JS.is_file() else None


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    source = _axe_source()
    if source is None:
        pytest.skip(f"axe-core is not installed ({AXE_INSTALL})")
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(source + "\n;undefined")
    return await page.evaluate(RUN)


async def assert_accessible(page: Any) -> None:
    violations = await axe_violations(page)
    assert violations == [], "axe found: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'])}" for v in violations)
