"""The file format editor: a page per connection setting, and the live preview it posts to.

A connector's setup page links here with `csvfiles.targets.csv_format_link(connection_kind=
"wms"|"cart", connection_id=…, setting_key="order_format", direction="orders", title=…,
back_url=…, reads=…)`; the editor saves the format into that setting of that connection
(`CsvFormat.as_dict()`), and the connector reads it back with `format_from_settings()`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.tenancy import member_required
from csvfiles.formats import DIRECTIONS, LINE_ENDINGS, PRESETS
from csvfiles.forms import DATE_FORMAT_CHOICES, FormatEditor, PresetForm
from csvfiles.preview import format_preview
from csvfiles.targets import (
    FormatTarget,
    csv_format_connection,
    csv_format_load,
    csv_format_save,
    csv_format_target,
)


@member_required()
def csv_format_edit(request: HttpRequest, token: str) -> HttpResponse:
    target = csv_format_target(token)
    connection = csv_format_connection(request.membership, target)
    notice = ""
    if request.method == "POST":
        editor = FormatEditor(target.direction, request.POST, reads=target.reads)
        if editor.is_valid() and request.POST.get("action") != "preview":
            csv_format_save(connection=connection, target=target, fmt=editor.format)
            messages.success(request, f"{_title(target)}: format saved.")
            return redirect(target.back_url or request.get_full_path())
    else:
        preset = PRESETS.get(request.GET.get("preset", ""))
        if preset is not None and preset.format.direction == target.direction:
            fmt = preset.format
            notice = f"Started from “{preset.label}”: nothing is saved until you press Save."
        else:
            fmt, notice = csv_format_load(connection, target)
        editor = FormatEditor(target.direction, fmt=fmt, reads=target.reads)
    context = {
        "target": target,
        "title": _title(target),
        "connection": connection,
        "editor": editor,
        "preset_form": PresetForm(direction=target.direction),
        "date_formats": DATE_FORMAT_CHOICES,
        "notice": notice,
        **_preview_context(editor),
    }
    return render(request, "csvfiles/format_edit.html", context)


@require_POST
@member_required()
def csv_format_preview(request: HttpRequest, token: str) -> HttpResponse:
    """The preview of the posted editor state, as an HTML fragment the page swaps in."""
    target = csv_format_target(token)
    csv_format_connection(request.membership, target)
    editor = FormatEditor(target.direction, request.POST, reads=target.reads)
    editor.is_valid()
    return render(request, "csvfiles/_preview.html", _preview_context(editor))


def _preview_context(editor: FormatEditor) -> dict[str, Any]:
    errors = editor.error_messages()
    if editor.format is None or errors:
        return {"errors": errors or ["Correct the format to see its file."]}
    preview = format_preview(editor.format)
    return {
        "errors": [],
        "preview": preview,
        "line_ending": LINE_ENDINGS[editor.format.line_ending],
    }


def _title(target: FormatTarget) -> str:
    return target.title or f"{DIRECTIONS[target.direction]} file"
