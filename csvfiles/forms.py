"""The format editor's forms: the file options, the columns and the constants, as one editor."""

from __future__ import annotations

from typing import Any

from django import forms

from csvfiles.formats import (
    DATE_FORMATS,
    DELIMITERS,
    ENCODINGS,
    FIXED,
    GROUPED,
    LAYOUTS,
    LINE_ENDINGS,
    MAX_GROUPS,
    MAX_TEXT,
    QUOTE_CHARS,
    QUOTING,
    Column,
    CsvFormat,
    FormatInvalid,
    field_choices,
    presets_for,
    reading_problems,
)
from integration_manager.text import validate_single_line

SELECT = {"class": "form-select form-select-sm"}
TEXT = {"class": "form-control form-control-sm"}


class FormatOptionsForm(forms.Form):
    name = forms.CharField(
        required=False,
        max_length=MAX_TEXT,
        validators=[validate_single_line],
        widget=forms.TextInput(TEXT),
    )
    header = forms.BooleanField(
        label="Header row",
        required=False,
        help_text="The first line names the columns.",
        widget=forms.CheckboxInput({"class": "form-check-input"}),
    )
    delimiter = forms.ChoiceField(choices=DELIMITERS.items(), widget=forms.Select(SELECT))
    quote_char = forms.ChoiceField(
        label="Quote character", choices=QUOTE_CHARS.items(), widget=forms.Select(SELECT)
    )
    quoting = forms.ChoiceField(
        label="Quote values", choices=QUOTING.items(), widget=forms.Select(SELECT)
    )
    encoding = forms.ChoiceField(choices=ENCODINGS.items(), widget=forms.Select(SELECT))
    line_ending = forms.ChoiceField(choices=LINE_ENDINGS.items(), widget=forms.Select(SELECT))
    date_format = forms.CharField(
        max_length=60,
        help_text="%Y year, %m month, %d day, %H:%M:%S time, %z offset.",
        widget=forms.TextInput({**TEXT, "list": "csv-date-formats", "spellcheck": "false"}),
    )
    timezone = forms.CharField(
        label="Time zone",
        max_length=64,
        help_text="Dates are written in it; dates without an offset are read in it.",
        widget=forms.TextInput(TEXT),
    )
    layout = forms.ChoiceField(
        label="Products", choices=LAYOUTS.items(), widget=forms.Select(SELECT)
    )
    group_count = forms.IntegerField(
        label="Products per row",
        min_value=1,
        max_value=MAX_GROUPS,
        required=False,
        widget=forms.NumberInput(TEXT),
    )


def _short_text(aria_label: str, **attributes: str) -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=MAX_TEXT,
        validators=[validate_single_line],
        widget=forms.TextInput({**TEXT, "aria-label": aria_label, **attributes}),
    )


class ColumnForm(forms.Form):
    field = forms.ChoiceField(
        required=False, widget=forms.Select({**SELECT, "aria-label": "Field"})
    )
    header = _short_text("Header text", placeholder="Field's own")
    value = _short_text("Fixed text", placeholder="—")

    def __init__(self, *args: Any, direction: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = field_choices(direction)


class ConstantForm(forms.Form):
    field = forms.ChoiceField(
        required=False, widget=forms.Select({**SELECT, "aria-label": "Field"})
    )
    value = _short_text("Value")

    def __init__(self, *args: Any, direction: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hub_fields = [group for group in field_choices(direction) if group[0] != "Other"]
        self.fields["field"].choices = [("", "Choose a field"), *hub_fields]


ColumnFormSet = forms.formset_factory(ColumnForm, extra=0, max_num=200, validate_max=True)
ConstantFormSet = forms.formset_factory(ConstantForm, extra=0, max_num=50, validate_max=True)


class PresetForm(forms.Form):
    """Start again from a preset (a GET: nothing is saved until the editor's Save)."""

    preset = forms.ChoiceField(
        label="Start from a preset", widget=forms.Select({**SELECT, "data-submit-on-change": ""})
    )

    def __init__(self, *args: Any, direction: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(preset.key, preset.label) for preset in presets_for(direction)]
        self.fields["preset"].choices = [("", "Choose a preset…"), *choices]


class FormatEditor:
    """The editor's three forms, and the format they make: from a saved format (to show)
    or from posted data (to preview or save). `reads`: the format must also read files."""

    def __init__(
        self,
        direction: str,
        data: Any = None,
        *,
        fmt: CsvFormat | None = None,
        reads: bool = False,
    ) -> None:
        self.direction = direction
        self.reads = reads
        initial = fmt.as_dict() if fmt is not None else {}
        self.options = FormatOptionsForm(data, initial=initial, prefix="format")
        kwargs = {"form_kwargs": {"direction": direction}}
        self.columns = ColumnFormSet(
            data, initial=initial.get("columns"), prefix="columns", **kwargs
        )
        self.constants = ConstantFormSet(
            data,
            initial=[{"field": k, "value": v} for k, v in initial.get("constants", {}).items()],
            prefix="constants",
            **kwargs,
        )
        self.format: CsvFormat | None = fmt if data is None else None
        self.problems: list[str] = []

    def is_valid(self) -> bool:
        forms_valid = [self.options.is_valid(), self.columns.is_valid(), self.constants.is_valid()]
        if not all(forms_valid):
            return False
        try:
            self.format = self._format()
        except FormatInvalid as invalid:
            self.problems = invalid.problems
            return False
        if self.reads:
            self.problems = reading_problems(self.format)
        return not self.problems

    def _format(self) -> CsvFormat:
        options = dict(self.options.cleaned_data)
        if options["layout"] != GROUPED or not options["group_count"]:
            options["group_count"] = 1
        columns = tuple(
            Column(
                field=row["field"],
                header=row["header"].strip(),
                value=row["value"] if row["field"] == FIXED else "",
            )
            for row in self.columns.cleaned_data
        )
        constants = tuple(
            (row["field"], row["value"].strip())
            for row in self.constants.cleaned_data
            if row.get("field")
        )
        return CsvFormat(direction=self.direction, columns=columns, constants=constants, **options)

    def error_messages(self) -> list[str]:
        """Every problem as one sentence, for the preview (which has no form fields)."""
        messages = list(self.options.non_field_errors()) + list(self.problems)
        for name, errors in self.options.errors.items():
            if name != "__all__":
                label = self.options.fields[name].label or name.replace("_", " ").capitalize()
                messages += [f"{label}: {error}" for error in errors]
        for title, formset in (("Column", self.columns), ("Constant", self.constants)):
            messages += list(formset.non_form_errors())
            for number, errors in enumerate(formset.errors, start=1):
                for name, texts in errors.items():
                    messages += [f"{title} {number}, {name}: {text}" for text in texts]
        return messages


DATE_FORMAT_CHOICES = list(DATE_FORMATS.items())
