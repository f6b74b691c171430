"""Agenda items link the reports and actions they will discuss (API.md ``situation_ids``,
``action_ids``), within what each person may read."""

from __future__ import annotations

from typing import Any

from tests.factories import Factory, World
from veille.situations.enums import Confidentiality


def test_items_link_reports_and_actions_as_far_as_each_reader_may_see(
    api_for: Any, client_for: Any, world: World, factory: Factory
) -> None:
    meeting = factory.meeting(world.body)
    factory.invite(meeting, world.guest, guest=True)
    public = factory.situation(world.body, world.member, "Rodéos sur le parking du marché")
    restricted = factory.situation(
        world.body, world.chair, "Squat signalé par la mairie", confidentiality=Confidentiality.restricted
    )
    elsewhere = factory.situation(world.other_body, world.other, "Fait d’une autre instance")
    action = factory.action(world.body, world.organisation, "Patrouilles le dimanche")
    api = api_for(world.secretary)
    url = f"/api/v1/meetings/{meeting.id}/agenda-items"
    refused = api.post(url, json={"title": "Rodéos", "situation_ids": [elsewhere.id]})
    assert refused.status_code == 422 and "situation_ids" in str(refused.json()["detail"])
    assert api.post(url, json={"title": "Rodéos", "action_ids": [999]}).status_code == 422
    created = api.post(
        url, json={"title": "Rodéos", "situation_ids": [public.id, restricted.id], "action_ids": [action.id]}
    )
    assert created.status_code == 201, created.text
    item = created.json()
    assert (item["situation_ids"], item["action_ids"]) == (sorted([public.id, restricted.id]), [action.id])
    # Changing the title keeps the links; a member who cannot read the restricted report keeps it linked.
    patched = api_for(world.chair).patch(
        f"/api/v1/agenda-items/{item['id']}", json={"version": item["version"], "title": "Rodéos urbains"}
    )
    assert patched.json()["situation_ids"] == sorted([public.id, restricted.id])
    guest_view = api_for(world.guest).get(url).json()["items"]
    assert guest_view[0]["situation_ids"] == [] and guest_view[0]["action_ids"] == []

    member_page = client_for(world.member).get(f"/meetings/{meeting.id}").text
    assert "Rodéos sur le parking du marché" in member_page and "Patrouilles le dimanche" in member_page
    assert "Squat signalé par la mairie" not in member_page
    assert "Squat signalé par la mairie" in client_for(world.chair).get(f"/meetings/{meeting.id}").text
    guest_page = client_for(world.guest).get(f"/meetings/{meeting.id}").text
    assert "Rodéos sur le parking du marché" not in guest_page

    # The page's form: unticking every box removes the links it shows.
    client = client_for(world.secretary)
    response = client.form(
        f"/agenda-items/{item['id']}/edit",
        {"title": "Rodéos urbains", "version": str(patched.json()["version"]), "links": "1"},
    )
    assert response.status_code in (200, 303), response.text
    after = api.get(url).json()["items"][0]
    assert after["situation_ids"] == [] and after["action_ids"] == []
