"""The format editor's links on a file connector's setup page, one per format it declares."""

from __future__ import annotations

from typing import Any

from csvfiles.targets import csv_format_link


def csv_format_links(
    *, connector: Any, connection_kind: str, connection_id: int, back_url: str
) -> list[tuple[str, str]]:
    """("Edit the order file format", its editor address) for each format the connector
    declares in csv_formats: (setting key, kind of file, title, whether the hub reads it)."""
    return [
        (
            f"Edit the {title[:1].lower()}{title[1:]} format",
            csv_format_link(
                connection_kind=connection_kind,
                connection_id=connection_id,
                setting_key=setting_key,
                direction=direction,
                title=title,
                back_url=back_url,
                reads=reads,
            ),
        )
        for setting_key, direction, title, reads in getattr(connector, "csv_formats", ())
    ]
