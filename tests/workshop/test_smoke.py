import pytest


@pytest.mark.django_db
def test_home_lists_open_workshop(client):
    from tests.factories import WorkshopFactory

    w = WorkshopFactory(name="Marker Workshop")
    response = client.get("/")
    assert response.status_code == 200
    assert b"Marker Workshop" in response.content
    detail = client.get(f"/w/{w.slug}/")
    assert detail.status_code == 200
