"""Scenario studio: opening a node in the editor and saving it unchanged keeps the scenario's content hash."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.content.twee import load_twee
from app.services import studio
from tests.factories_roleplay import SCENARIOS, TWINE


class FormFields(HTMLParser):
    """Collect what a browser would submit for the node editor form: inputs, checked boxes, selects, text areas."""

    def __init__(self, form_marker: str = "data-node-form"):
        super().__init__(convert_charrefs=True)
        self.marker, self.inside, self.in_template, self.fields = form_marker, False, 0, []
        self._select = self._textarea = None
        self._options: list = []
        self._text: list = []

    def handle_starttag(self, tag, attrs):
        """Start or read a field of the marked form (a <template>'s fields are not submitted)."""
        attrs = dict(attrs)
        if tag == "form":
            self.inside = self.marker in attrs
            return
        if tag == "template":
            self.in_template += 1
        if not self.inside or self.in_template:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self.fields.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        """Keep the text of an open text area."""
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        """Finish a select, a text area or the form."""
        if tag == "form":
            self.inside = False
        elif tag == "template":
            self.in_template -= 1
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected] or [self._options[0][0]]
            self.fields.append((self._select, chosen[0]))
            self._select = None
        elif tag == "textarea" and self._textarea:
            # A browser drops the one newline right after <textarea>.
            self.fields.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None


def submitted_fields(html: str) -> dict:
    """Return the node editor's fields as a browser would post them (name → list of values)."""
    parser = FormFields()
    parser.feed(html)
    data: dict = {}
    for name, value in parser.fields:
        data.setdefault(name, []).append(value)
    return data


def upload(client, path: Path) -> None:
    """Upload a Twee story as a draft through the studio."""
    with path.open("rb") as handle:
        response = client.post("/studio/upload", data={"file": (handle, path.name)},
                               content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def save_every_node_unchanged(client, slug: str) -> list:
    """Open and save each node of the draft in the editor; return the nodes whose save changed the content hash."""
    changed = []
    for key in list(studio.working_copy(studio.get_studio_scenario(slug))["nodes"]):
        before = studio.check_scenario(studio.get_studio_scenario(slug)).definition.content_hash()
        page = client.get(f"/studio/{slug}/nodes/{key}")
        assert page.status_code == 200
        response = client.post(f"/studio/{slug}/nodes/{key}", data=submitted_fields(page.get_data(as_text=True)))
        assert response.status_code == 302, (key, response.get_data(as_text=True)[:2000])
        after = studio.check_scenario(studio.get_studio_scenario(slug)).definition
        if after is None or after.content_hash() != before:
            changed.append(key)
    return changed


def test_saving_each_twee_demo_node_unchanged_keeps_the_hash(app, client, login_as):
    """The bundled Twee demo, uploaded, then every node saved unchanged: still the story's content hash."""
    login_as("trainer")
    original = load_twee(SCENARIOS / "twine-demo.twee")[0]
    upload(client, SCENARIOS / "twine-demo.twee")
    assert save_every_node_unchanged(client, TWINE) == []
    assert studio.check_scenario(studio.get_studio_scenario(TWINE)).definition.content_hash() == original.content_hash()



@pytest.mark.parametrize("technique, empty_label", [("objection.instalments", "problem"),
                                                     ("objection.discount", "default")])
def test_a_route_into_an_unscored_passage_keeps_its_empty_points(app, client, login_as, tmp_path, technique,
                                                                 empty_label):
    """A free-text route into a passage without score tags scores nothing; saving the node keeps that entry.

    With the "problem" entry dropped, a problem line would earn the default's
    -2 instead of nothing; with the "default" entry dropped, the points are the
    same but the content hash is not.
    """
    login_as("trainer")
    text = (SCENARIOS / "twine-demo.twee").read_text(encoding="utf-8")
    path = tmp_path / "twine-demo.twee"
    path.write_text(re.sub(rf"technique:{re.escape(technique)} score:\S+\]", f"technique:{technique}]", text),
                    encoding="utf-8")
    original = load_twee(path)[0]
    assert original.nodes["Clarify"].free_text.label_scores[empty_label] == {}
    upload(client, path)
    page = client.get(f"/studio/{TWINE}/nodes/Clarify").get_data(as_text=True)
    assert submitted_fields(page)["no_points"] == [empty_label]
    assert save_every_node_unchanged(client, TWINE) == []
    scenario = studio.get_studio_scenario(TWINE)
    assert scenario.draft["nodes"]["Clarify"]["free_text"]["scores"][empty_label] == {}
    definition = studio.check_scenario(scenario).definition
    assert definition.content_hash() == original.content_hash()
    assert definition.nodes["Clarify"].free_text.score_for(empty_label) == {}


def test_points_typed_into_a_no_points_field_replace_the_empty_entry(app, client, login_as, tmp_path):
    """A trainer who fills a "no points" field gives the label those points; clearing it later falls back."""
    login_as("trainer")
    text = (SCENARIOS / "twine-demo.twee").read_text(encoding="utf-8")
    path = tmp_path / "twine-demo.twee"
    path.write_text(text.replace("[technique:objection.instalments score:objection_handling=2]",
                                 "[technique:objection.instalments]"), encoding="utf-8")
    upload(client, path)
    page = client.get(f"/studio/{TWINE}/nodes/Clarify").get_data(as_text=True)
    assert re.search(r'name="points_problem" placeholder="no points"', page)
    fields = submitted_fields(page)
    fields["points_problem"] = ["rapport: 1"]
    assert client.post(f"/studio/{TWINE}/nodes/Clarify", data=fields).status_code == 302
    scores = studio.get_studio_scenario(TWINE).draft["nodes"]["Clarify"]["free_text"]["scores"]
    assert scores == {"problem": {"rapport": 1}, "default": {"objection_handling": -2}}
    fields = submitted_fields(client.get(f"/studio/{TWINE}/nodes/Clarify").get_data(as_text=True))
    assert fields["no_points"] == [""]
    fields["points_problem"] = [""]
    assert client.post(f"/studio/{TWINE}/nodes/Clarify", data=fields).status_code == 302
    definition = studio.check_scenario(studio.get_studio_scenario(TWINE)).definition
    assert definition.nodes["Clarify"].free_text.score_for("problem") == {"objection_handling": -2}
