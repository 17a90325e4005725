"""The options step "People": the box's face library to choose the people to follow from.

The library is listed afresh when the step opens (api section 3; up to the client's MAX_PEOPLE,
100 a page), so a person registered a minute ago is offered. The choice is a searchable
dropdown: a list of 10,000 check boxes would not do. People are offered by name; a name that
two people share is followed by the identity id, so that either can be told apart.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from homeassistant.helpers import selector

from .api import LibraryPerson, PersonType, SophonError
from .compat import vol
from .const import CONF_PEOPLE

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigFlowResult, OptionsFlow

    from .coordinator import SophonConfigEntry


def people_choices(people: list[LibraryPerson]) -> list[selector.SelectOptionDict]:
    """Return the people to offer, by name (with the id where two share one), sorted.

    A person the library types as a stranger is not offered (strangers are never followed).
    """
    people = [person for person in people if person.person_type is not PersonType.STRANGER]
    names = Counter(person.name for person in people)
    choices = [
        selector.SelectOptionDict(
            value=person.identity_id,
            label=person.name
            if person.name and names[person.name] == 1
            else f"{person.name or '?'} ({person.identity_id})",
        )
        for person in people
    ]
    return sorted(choices, key=lambda choice: choice["label"].casefold())


async def async_people_form(flow: OptionsFlow, entry: SophonConfigEntry) -> ConfigFlowResult:
    """Return the form listing the box's people, those followed now chosen.

    Aborts with library_unavailable when the box does not list its library.
    """
    try:
        listed = await entry.runtime_data.client.async_list_people()
    except SophonError as err:
        return flow.async_abort(
            reason="library_unavailable", description_placeholders={"error": str(err)}
        )
    choices = people_choices(listed.people)
    followed = list(entry.options.get(CONF_PEOPLE, []))
    if not listed.complete:
        # Followed people the cut listing did not reach stay chosen (offered by their id).
        offered = {choice["value"] for choice in choices}
        choices += [
            selector.SelectOptionDict(value=identity_id, label=identity_id)
            for identity_id in followed
            if identity_id not in offered
        ]
    known = {choice["value"] for choice in choices}
    schema = vol.Schema(
        {
            vol.Optional(
                CONF_PEOPLE, default=[p for p in followed if p in known]
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=choices,
                    multiple=True,
                    mode=selector.SelectSelectorMode.DROPDOWN,
                )
            )
        }
    )
    return flow.async_show_form(
        step_id="people",
        data_schema=schema,
        description_placeholders={"count": str(len(listed.people))},
    )
