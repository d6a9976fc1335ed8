"""Add, update and remove `<lora:NAME:STRENGTH>` tags in prompt text.

Setting a tag is idempotent: a prompt that already carries a tag for the same file (pasted infotext,
or typed by the user) gets that tag's strength changed instead of a second tag.
"""

from __future__ import annotations

import re

# The WebUI parses extra networks with `<(\w+):([^>]+)>`; "lyco" is an alias of "lora" there.
_TAG = re.compile(r"<(?P<kind>lora|lyco):(?P<name>[^:>]+)(?P<rest>(?::[^>]*)?)>", re.IGNORECASE)
_SEPARATOR = " "


def format_strength(strength: float) -> str:
    """Shortest text that reads back as the same float (1.0 -> "1", 0.75 -> "0.75")."""
    text = repr(round(float(strength), 4))
    return text[:-2] if text.endswith(".0") else text


def make_tag(name: str, strength: float) -> str:
    return f"<lora:{name}:{format_strength(strength)}>"


def find_tags(prompt: str, name: str) -> list[re.Match[str]]:
    return [m for m in _TAG.finditer(prompt) if m.group("name").strip() == name]


def tag_strength(prompt: str, name: str) -> float | None:
    """Strength of the first tag for `name`, or None when there is none (or it cannot be read)."""
    for match in find_tags(prompt, name):
        first = match.group("rest")[1:].split(":")[0].strip()
        try:
            return float(first) if first else 1.0
        except ValueError:
            return None
    return None


def set_lora_tag(prompt: str, name: str, strength: float) -> str:
    """Return `prompt` with exactly the tags for `name` set to `strength`; append one if there is none.

    An empty name (a recipe-only plan, `Plan.lora_name == ""`) leaves the prompt as it is."""
    if not name:
        return prompt
    tag = make_tag(name, strength)
    if find_tags(prompt, name):
        return _TAG.sub(lambda m: tag if m.group("name").strip() == name else m.group(0), prompt)
    return f"{prompt}{_SEPARATOR}{tag}" if prompt else tag


def remove_lora_tag(prompt: str, name: str) -> str:
    """Remove every tag for `name`, together with the separator `set_lora_tag` put before it."""
    pattern = re.compile(r"(?: ?)" + _TAG.pattern, re.IGNORECASE)
    return pattern.sub(lambda m: "" if m.group("name").strip() == name else m.group(0), prompt)
