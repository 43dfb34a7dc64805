"""{% open_alert_count as count %}: the open alerts the member sees, as the alerts page counts."""

from __future__ import annotations

from typing import Any

from django import template

from alerts.selectors import alert_open_count

register = template.Library()


@register.simple_tag(takes_context=True)
def open_alert_count(context: dict[str, Any]) -> int:
    membership = getattr(context.get("request"), "membership", None)
    return 0 if membership is None else alert_open_count(membership)
