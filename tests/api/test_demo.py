"""`kith demo`: a newcomer sees real content at once."""

from __future__ import annotations

from api.services.demo import create_demo
from tests.conftest import new_client, sign_in


async def test_the_demo_account_has_a_today_list_varied_health_and_a_feed_with_reconnects(
    app, clock
):
    await create_demo("demo@kith.local", "demo-password-123", clock())
    async with new_client(app) as c:
        assert (await sign_in(c, "demo@kith.local", "demo-password-123")).status_code == 200
        today = (await c.get("/api/today")).json()
        assert today["due"], "something to do today"
        page = (await c.get("/api/contacts", params={"limit": 500})).json()
        assert page["total"] >= 250
        healths = {x["health"] // 20 for x in page["items"]}
        assert len(healths) >= 4, "health spreads over the bands"
        circles = {x["circle"] for x in page["items"]}
        assert {"Inner", "Close", "Friends", "Network", None} <= circles
        url = (await c.get("/api/feed")).json()["https_url"]
        path = "/" + url.split("://", 1)[1].split("/", 1)[1]
        body = (await c.get(path)).text
        assert body.count("SUMMARY:Reconnect with") >= 10
