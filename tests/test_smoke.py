async def test_healthz_and_readyz(make_app):
    app = await make_app()
    client = app.test_client()
    response = await client.get("/healthz")
    assert response.status_code == 200
    body = await client.get("/readyz")
    data = await body.get_json()
    assert body.status_code == 200, data
    assert data["database"]["ok"] and data["queue"]["ok"]
