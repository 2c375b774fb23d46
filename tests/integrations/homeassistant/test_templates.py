"""Home Assistant value and command templates."""

from __future__ import annotations

import pytest

from hub.integrations.homeassistant.templates import TemplateError, render, render_command


@pytest.mark.parametrize(
    ("template", "payload", "expected"),
    [
        ("{{ value }}", "ON", "ON"),
        ("{{value_json.POWER}}", '{"POWER": "OFF"}', "OFF"),
        ("{{ value_json['temperature'] | float }}", '{"temperature": 21}', "21.0"),
        ("{{ value_json.a.b }}", '{"a": {"b": 3}}', "3"),
        ("{{ value_json.list[1] }}", '{"list": [1, 2]}', "2"),
        ("{{ value_json.t | round(1) }}", '{"t": 21.26}', "21.3"),
        ("{{ 'on' if value_json.on else 'off' }}", '{"on": true}', "on"),  # Jinja2
    ],
)
def test_value_templates(template: str, payload: str, expected: str) -> None:
    assert render(template, payload) == expected


def test_a_missing_key_or_bad_syntax_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="no 'POWER'"):
        render("{{ value_json.POWER }}", '{"Dimmer": 10}')
    with pytest.raises(TemplateError):
        render("{{ value_json.x | nosuchfilter }}x{%", "{}")


def test_command_templates() -> None:
    assert render_command("{{ value }}", 21.5) == "21.5"
    assert render_command('{"state": "{{ value }}"}', "ON") == '{"state": "ON"}'
