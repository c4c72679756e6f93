"""axe-core (the engine behind Lighthouse's accessibility audit) over the
storefront's main pages, on a laptop and on a phone: no violations."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PAGES = ["/", "/c/clothing", "/p/oxford-shirt", "/search?q=shirt", "/cart", "/checkout", "/account/login"]


@pytest.mark.parametrize("width", [1280, 390], ids=["laptop", "phone"])
def test_storefront_pages_have_no_accessibility_violations(server, browser, width):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(server.base_url + "/p/oxford-shirt")
    page.get_by_role("button", name="Add to cart").click()  # so /cart and /checkout show their forms
    found = {}
    for path in PAGES:
        response = page.goto(server.base_url + path)
        assert response.status == 200, path
        violations = axe.run(page).response["violations"]
        found[path] = [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in violations]
    context.close()
    assert found == {path: [] for path in PAGES}
