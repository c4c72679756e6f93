"""The admin page ``/admin/plugins/erp_sync/status`` (permission ``erp:read``;
posting needs ``erp:write``): the connector, the last pull and push, the
number of orders pushed and the open dead letters with their errors; buttons
queue a pull (job ``erp_sync.pull``) or the retry of one dead letter (job
``erp_sync.retry``). The page reads the plugin's tables only: no ERP call
in the request."""
from __future__ import annotations

from typing import Any

from engine import sdk

from shopwright_erp_sync import store

NAME = "erp_sync"
PATH = "status"

SOURCE = """
<h1>ERP sync</h1>
{% if queued %}<p class="notice">Queued: {{ queued }}.</p>{% endif %}
<dl>
  <dt>Connector</dt><dd>{{ settings.connector }}{% if missing %} — not configured: set {{ missing|join(", ") }}{% endif %}</dd>
  <dt>Last pull</dt><dd>{% if pull %}{{ pull.at }}: {{ pull.products }} products, {{ pull.variants }} variants,
    {{ pull.stock_changed }} stock changes, {{ pull.dead_lettered }} dead-lettered{% else %}never{% endif %}</dd>
  <dt>Last push</dt><dd>{% if push %}{{ push.at }}: order {{ push.order }} → {{ push.erp_id }}{% else %}never{% endif %}</dd>
  <dt>Orders pushed</dt><dd>{{ orders }}</dd>
</dl>
{% if can_write %}
<form method="post">{{ csrf_field() }}<input type="hidden" name="action" value="pull"><button>Pull now</button></form>
{% endif %}
<h2>Dead letters ({{ dead|length }})</h2>
<table class="dead-letters">
  <thead><tr><th>Kind</th><th>Item</th><th>Tries</th><th>Error</th><th>Since</th><th></th></tr></thead>
  <tbody>
  {% for row in dead %}
    <tr><td>{{ row.kind }}</td><td>{{ row.ref }}</td><td>{{ row.tries }}</td><td>{{ row.error }}</td>
      <td>{{ row.created_at }}</td>
      <td>{% if can_write %}<form method="post">{{ csrf_field() }}<input type="hidden" name="action" value="retry">
        <input type="hidden" name="id" value="{{ row.id }}"><button>Retry</button></form>{% endif %}</td></tr>
  {% else %}
    <tr><td colspan="6">None: nothing failed.</td></tr>
  {% endfor %}
  </tbody>
</table>
"""


async def status_page(request: Any) -> Any:
    runtime = request.runtime
    if request.method == "POST":
        action = request.form.get("action")
        if action == "pull":
            await sdk.enqueue(runtime, f"{NAME}.pull", job_id="erp:pull")
            return sdk.redirect_admin(f"/admin/plugins/{NAME}/{PATH}?queued=pull")
        if action == "retry" and (request.form.get("id") or "").isdigit():
            row = next((item for item in await store.open_dead_letters() if item["id"] == int(request.form["id"])),
                       None)
            if row is not None:
                await sdk.enqueue(runtime, f"{NAME}.retry", row["id"],
                                  job_id=f"erp:retry:{row['id']}:{row['tries']}")
            return sdk.redirect_admin(f"/admin/plugins/{NAME}/{PATH}?queued=retry")
        return sdk.render_admin(source="<p>Unknown action.</p>", status=400)
    settings = request.settings
    return sdk.render_admin(
        source=SOURCE, settings=settings, missing=settings.missing(), pull=await store.get_json("last_pull"),
        push=await store.get_json("last_push"), orders=await store.count_links("order"),
        dead=await store.open_dead_letters(), can_write=sdk.has_permission(request.actor, "erp:write"),
        queued=request.args.get("queued", ""),
    )


def pages() -> list[Any]:
    return [sdk.AdminPage(PATH, "ERP sync", "erp:read", status_page, post_permission="erp:write")]
