"""Checks the browser journeys share (tests/browser)."""
from __future__ import annotations

WIDTHS = {"wide": 1280, "phone": 390}


def accessibility_violations(page, paths: list[str]) -> dict:
    """axe-core's violations on each page at both widths (none expected)."""
    from axe_playwright_python.sync_playwright import Axe

    axe, found = Axe(), {}
    base = page.url.split("/admin")[0]
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        for path in paths:
            page.goto(base + path)
            violations = axe.run(page).response["violations"]
            if violations:
                found[(label, path)] = [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
                                        for v in violations]
    page.set_viewport_size({"width": 1280, "height": 900})
    return found
