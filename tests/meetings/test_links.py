"""Agenda items link the reports and actions they will discuss (docs/api.md ``situation_ids``,
``action_ids``), within what each person may read."""

from __future__ import annotations

from typing import Any

from tests.factories import Factory, World
from veille.actions.enums import ActionStatus
from veille.situations import feed
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


def test_an_items_form_is_loaded_when_opened_and_keeps_every_link(
    api_for: Any, client_for: Any, world: World, factory: Factory
) -> None:
    """The meeting page carries no item's choices: its "Change" part loads the item's form. The
    form lists the 100 latest reports and the open actions, and also what the item links beyond
    them (an older report, a finished action), ticked, so that saving it drops no link."""
    meeting = factory.meeting(world.body)
    older = factory.situation(world.body, world.member, "Tags sur l’école, l’an dernier", days_ago=300)
    for number in range(feed.RECENT_LIMIT):
        factory.situation(world.body, world.member, f"Signalement récent {number}")
    finished = factory.action(
        world.body, world.organisation, "Fresque sur le mur de l’école", status=ActionStatus.done
    )
    factory.action(world.body, world.organisation, "Patrouilles le dimanche")
    api = api_for(world.secretary)
    url = f"/api/v1/meetings/{meeting.id}/agenda-items"
    item = api.post(
        url, json={"title": "L’école", "situation_ids": [older.id], "action_ids": [finished.id]}
    ).json()
    form_url = f"/agenda-items/{item['id']}/edit"
    client = client_for(world.secretary)

    page = client.get(f"/meetings/{meeting.id}").text
    assert f'hx-get="{form_url}"' in page and 'name="situation_ids"' not in page
    assert "Signalement récent 7" not in page

    fragment = client.get(form_url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.count('name="situation_ids"') == feed.RECENT_LIMIT + 1
    assert (
        f'value="{older.id}" checked' in fragment.text and f'value="{finished.id}" checked' in fragment.text
    )
    assert "Patrouilles le dimanche" in fragment.text
    assert client.get(form_url).text.count("<html") == 1  # without JavaScript: a page of its own
    assert client_for(world.member).get(form_url).status_code == 403

    # Refused: the form comes back with its error and what was typed.
    refused = client.htmx(
        form_url, {"title": "", "description": "À revoir", "version": str(item["version"]), "links": "1"}
    )
    assert refused.status_code == 422
    assert "Ce champ est obligatoire." in refused.text and "À revoir" in refused.text
    assert f'id="field-item-{item["id"]}-title"' in refused.text

    # Saved as it was loaded: the agenda comes back in place of the item, every link kept.
    saved = client.htmx(
        form_url,
        {
            "title": "L’école Jules-Ferry",
            "version": str(item["version"]),
            "links": "1",
            "situation_ids": [str(older.id)],
            "action_ids": [str(finished.id)],
        },
    )
    assert saved.status_code == 200 and saved.headers["HX-Retarget"] == "#agenda"
    assert "L’école Jules-Ferry" in saved.text and 'id="agenda"' in saved.text
    after = api.get(url).json()["items"][0]
    assert (after["situation_ids"], after["action_ids"]) == ([older.id], [finished.id])

    # Without JavaScript the meeting page opens at the item.
    plain = client.form(
        form_url, {"title": "L’école", "version": str(after["version"])}, follow_redirects=False
    )
    assert (
        plain.status_code == 303 and plain.headers["location"] == f"/meetings/{meeting.id}#item-{item['id']}"
    )
