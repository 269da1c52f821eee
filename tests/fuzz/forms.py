"""The `<form>`s of an HTML page, read with the standard library's parser: each form's method,
action, encoding and fields (name, kind, the value a browser would send, the choices)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

SUBMIT_TYPES = {"submit", "image"}
IGNORED_TYPES = {"reset", "button"}


@dataclass
class Field:
    name: str
    kind: str  # the input type ("text", "number", "file"...), "select", "textarea"
    values: list[str] = field(default_factory=list)  # what a browser sends as is
    options: list[str] = field(default_factory=list)  # select options, radio/checkbox values
    multiple: bool = False
    required: bool = False
    maxlength: int | None = None


@dataclass
class Form:
    method: str
    action: str
    enctype: str
    fields: dict[str, Field] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # named submit buttons
    form_id: str = ""

    def baseline(self) -> dict[str, list[str]]:
        """The data a browser would send without the user touching anything."""
        return {
            name: list(f.values) for name, f in self.fields.items() if f.values or f.kind == "file"
        }


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._by_id: dict[str, Form] = {}
        self._orphans: list[tuple[str, str, dict[str, str]]] = []  # (form id, tag, attrs)
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: dict[str, str] | None = None
        self._option_text: list[str] = []
        self._select_has_selected = False
        self._textarea: Field | None = None
        self._textarea_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(
                method=a.get("method", "get").lower() or "get",
                action=a.get("action", ""),
                enctype=a.get("enctype", ""),
                form_id=a.get("id", ""),
            )
            self.forms.append(self._form)
            if self._form.form_id:
                self._by_id[self._form.form_id] = self._form
            return
        if tag in ("input", "select", "textarea", "button") and "form" in a:
            self._orphans.append((a["form"], tag, a))
            if tag == "select":
                self._begin_select(None, a)
            if tag == "textarea":
                self._begin_textarea(None, a)
            return
        if tag == "option" and self._select is not None:
            self._option = a
            self._option_text = []
            return
        if self._form is None:
            return
        self._add(self._form, tag, a)

    def _add(self, form: Form | None, tag: str, a: dict[str, str]) -> None:
        name = a.get("name", "")
        if tag == "input":
            kind = a.get("type", "text").lower() or "text"
            if kind in IGNORED_TYPES or not name or form is None:
                return
            if kind in SUBMIT_TYPES:
                form.buttons.append((name, a.get("value", "")))
                return
            f = form.fields.setdefault(name, self._field(name, kind, a))
            value = a.get("value", "on" if kind in ("checkbox", "radio") else "")
            if kind in ("checkbox", "radio"):
                f.options.append(value)
                if "checked" in a:
                    f.values.append(value)
                f.multiple = f.multiple or (kind == "checkbox" and len(f.options) > 1)
            elif kind != "file":
                f.values.append(value)
        elif tag == "button":
            kind = a.get("type", "submit").lower()
            if kind == "submit" and name and form is not None:
                form.buttons.append((name, a.get("value", "")))
        elif tag == "select":
            self._begin_select(form, a)
        elif tag == "textarea":
            self._begin_textarea(form, a)

    @staticmethod
    def _field(name: str, kind: str, a: dict[str, str]) -> Field:
        maxlength = a.get("maxlength", "")
        return Field(
            name=name, kind=kind, required="required" in a, multiple="multiple" in a,
            maxlength=int(maxlength) if maxlength.isdigit() else None,
        )  # fmt: skip

    def _begin_select(self, form: Form | None, a: dict[str, str]) -> None:
        name = a.get("name", "")
        self._select = self._field(name, "select", a)
        self._select_has_selected = False
        if form is not None and name:
            form.fields[name] = self._select

    def _begin_textarea(self, form: Form | None, a: dict[str, str]) -> None:
        name = a.get("name", "")
        self._textarea = self._field(name, "textarea", a)
        self._textarea_text = []
        if form is not None and name:
            form.fields[name] = self._textarea

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option_text.append(data)
        if self._textarea is not None:
            self._textarea_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None:
            self._end_option()
        elif tag == "select" and self._select is not None:
            if self._option is not None:
                self._end_option()
            select = self._select
            if not select.values and select.options and not select.multiple:
                select.values.append(select.options[0])  # a browser sends the first option
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._textarea_text)
            self._textarea.values = [text[1:] if text.startswith("\n") else text]
            self._textarea = None
        elif tag == "form":
            self._form = None

    def _end_option(self) -> None:
        a, select = self._option, self._select
        self._option = None
        if a is None or select is None or "disabled" in a:
            return
        value = a.get("value", "".join(self._option_text).strip())
        select.options.append(value)
        if "selected" in a:
            select.values.append(value)

    def close(self) -> None:
        super().close()
        for form_id, tag, a in self._orphans:
            form = self._by_id.get(form_id)
            if form is None:
                continue
            if tag in ("select", "textarea"):
                continue  # rare (none in the project's templates): their options are lost
            self._add(form, tag, a)


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms
