"""Text that must stay on one line: names and labels people type, and e-mail subjects."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

# Line and paragraph separators are not control characters (Cc) but break header lines too.
_SEPARATORS = {"\u2028", "\u2029", "\x85"}


def _is_control(character: str) -> bool:
    return unicodedata.category(character) == "Cc" or character in _SEPARATORS


def single_line(text: str) -> str:
    """The text with each control character (newline, tab, NUL...) made a space.

    Django's send_mail refuses a subject with a newline (BadHeaderError), so every subject
    built from a name goes through here: a stored label from before the forms refused them
    must not stop an alert's e-mail.
    """
    cleaned = "".join(" " if _is_control(character) else character for character in text)
    return re.sub(r" {2,}", " ", cleaned).strip()


def validate_single_line(value: str) -> None:
    """For names and labels: they end up in e-mail subjects, CSV files and WMS fields."""
    if any(_is_control(character) for character in value):
        raise ValidationError(
            "Use one line of text: no line breaks, tabs or other control characters.",
            code="control_characters",
        )
