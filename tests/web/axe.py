"""axe-core inside a page the browser tests opened: the WCAG 2.1 A and AA rules (and, when asked,
axe's best practices), every violation named with the elements it found.

axe-core is the copy the axe-playwright-python test dependency ships (pip install -e '.[test]');
its script is evaluated through the browser's debugging protocol, which the page's content
security policy does not govern, so the page's own policy stays as strict as in production."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import pytest

WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = """async (tags) => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
}"""


@lru_cache(maxsize=1)
def _axe_source() -> str | None:
    try:
        return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
    except ModuleNotFoundError:
        return None


async def axe_violations(page: Any, *, best_practice: bool = False) -> list[dict[str, Any]]:
    source = _axe_source()
    if source is None:
        pytest.skip("the axe-playwright-python package is not installed (pip install -e '.[test]')")
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(source + "\n;undefined")
    return await page.evaluate(RUN, [*WCAG, "best-practice"] if best_practice else WCAG)


def described(violations: list[dict[str, Any]]) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'])}" for v in violations]


async def assert_accessible(page: Any, *, best_practice: bool = False) -> None:
    violations = await axe_violations(page, best_practice=best_practice)
    assert violations == [], "axe found: " + "; ".join(described(violations))
