"""The 19 playbooks load from their data file, and a bad file is refused naming the entry."""

from __future__ import annotations

import pytest

from jinghang.dispatch.errors import PlaybookFileError, UnknownPlaybook
from jinghang.dispatch.playbooks import load_playbooks, parse_playbooks


def test_all_nineteen_playbooks_are_there_with_what_catalog_md_says() -> None:
    books = load_playbooks()
    assert [b.id for b in books] == [f"P{n:02d}" for n in range(1, 20)]
    drowning = books.get("P13")
    assert drowning.priority == 1 and drowning.pilot_confirmation
    assert set(drowning.payloads) == {"release", "loudspeaker"}
    assert books.get("P03").first_pattern == "expanding_square"
    assert books.get("P14").standoff_m >= 100 and "thermal" in books.get("P14").payloads
    assert books.get("P09").priority > books.get("P01").priority
    assert books.get("P01").to_dict()["first_flight"]["stages"][0]["pattern"] == "orbit"


def test_an_unknown_playbook_names_the_field() -> None:
    with pytest.raises(UnknownPlaybook) as err:
        load_playbooks().get("P42")
    assert err.value.field == "playbook_id"


def test_a_bad_pattern_in_the_file_names_the_entry() -> None:
    doc = {"playbooks": [{"id": "P01", "incident_type_zh": "x", "incident_type_en": "x",
                          "priority": 1, "altitude_m": 50, "payloads": [],
                          "first_flight": {"stages": [{"pattern": "zigzag"}]}}]}
    with pytest.raises(PlaybookFileError) as err:
        parse_playbooks(doc)
    assert err.value.field == "playbooks[P01].stages[0].pattern"
