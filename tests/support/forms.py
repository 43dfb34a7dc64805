"""What a browser would post back from a page's form, as Django's test client takes it."""

from __future__ import annotations

from html.parser import HTMLParser


class _Forms(HTMLParser):
    """The successful controls of every <form method="post"> on a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, list[str]]] = []
        self.current: dict[str, list[str]] | None = None
        self.select: str | None = None
        self.multiple = False
        self.first_option: str | None = None
        self.chosen = False
        self.textarea: str | None = None

    def _add(self, name: str, value: str) -> None:
        assert self.current is not None
        self.current.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            if attributes.get("method", "get").lower() == "post":
                self.current = {}
                self.forms.append(self.current)
        elif self.current is not None and "disabled" not in attributes:
            handler = getattr(self, f"_start_{tag}", None)
            if handler is not None:
                handler(attributes)

    def _start_input(self, attributes: dict[str, str]) -> None:
        name, kind = attributes.get("name"), attributes.get("type", "text").lower()
        if not name or kind in ("submit", "button", "reset", "file", "image"):
            return
        if kind not in ("checkbox", "radio"):
            self._add(name, attributes.get("value", ""))
        elif "checked" in attributes:
            self._add(name, attributes.get("value", "on"))

    def _start_select(self, attributes: dict[str, str]) -> None:
        if attributes.get("name"):
            self.select, self.multiple = attributes["name"], "multiple" in attributes
            self.first_option, self.chosen = None, False

    def _start_option(self, attributes: dict[str, str]) -> None:
        if self.select is None:
            return
        value = attributes.get("value", "")
        if "selected" in attributes:
            self.chosen = True
            self._add(self.select, value)
        elif self.first_option is None:
            self.first_option = value

    def _start_textarea(self, attributes: dict[str, str]) -> None:
        if attributes.get("name"):
            self.textarea = attributes["name"]
            self._add(self.textarea, "")

    def handle_data(self, data: str) -> None:
        if self.textarea is not None and self.current is not None:
            self.current[self.textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None
        elif tag == "textarea" and self.textarea is not None and self.current is not None:
            # A browser drops the newline that follows <textarea> (Django writes one).
            value = self.current[self.textarea][-1]
            self.current[self.textarea][-1] = value[1:] if value.startswith("\n") else value
            self.textarea = None
        elif tag == "select" and self.select is not None:
            # A single select with nothing selected posts its first option, as browsers do.
            if not self.chosen and not self.multiple and self.first_option is not None:
                self._add(self.select, self.first_option)
            self.select = None


def form_values(html: str, *, containing: str) -> dict[str, list[str]]:
    """The fields of the page's post form that has the field `containing`, as a browser posts
    them when nothing is changed: text as shown, ticked boxes, selected options."""
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if containing in form:
            return form
    raise AssertionError(f"no post form on the page has a field {containing!r}")
