"""The pages' templates (server/pages/templates/) and what every page's text goes through: no
source text is rendered unescaped, none can turn the page's writing direction, and JSON in a
script element cannot end it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

FOLDER = Path(__file__).resolve().parents[1] / "pages" / "templates"


BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_json(data: object) -> str:
    """JSON to embed in a <script> block: `<`, `>` and `&` as \\u escapes, so that no value
    (`</script>`, `<!--<script>`) can end the block or switch the HTML parser's state, and the
    direction controls escaped too, so the block stays JSON and shows nothing."""
    text = json.dumps(data, ensure_ascii=False).translate(_SCRIPT_SAFE)
    return BIDI_CONTROLS.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def _isolated(value: object) -> object:
    """Every value a template writes: a text holding direction controls (U+202E …) is wrapped in
    FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE, so it cannot reorder the text around it — in
    titles, headings and cells alike."""
    if isinstance(value, str) and BIDI_CONTROLS.search(value):
        return Markup("\u2068") + value + Markup("\u2069")  # escaped as the value would be, unless it is Markup
    return value


# templates are read once: no check of their files' times on every page (auto_reload)
TEMPLATES = Environment(
    loader=FileSystemLoader(FOLDER),
    autoescape=select_autoescape(),
    auto_reload=False,
    finalize=_isolated,
)
MESSAGES: dict[str, dict[str, str]] = yaml.safe_load((FOLDER / "messages.yaml").read_text("utf-8"))


@pass_context
def _translate(context: Context, text: str) -> str:
    """{{ t("English text") }} in the page's language (`lang`), from templates/messages.yaml."""
    return MESSAGES.get(text, {}).get(context.get("lang", "en"), text)


TEMPLATES.globals["t"] = _translate
