from __future__ import annotations


async def test_write_and_track(citizen):
    code, password = await citizen.write_letter()
    response = await citizen.track(code, password)
    assert response.status_code == 303
    page = await citizen.client.get(response.headers["location"])
    assert "夜间施工噪音扰民" in page.text
