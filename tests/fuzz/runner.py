"""The form fuzzer: for a role, GET every route's pages, read their forms and send hostile
variants of each field with the page's CSRF token. Every request runs in a savepoint rolled
back after it (and the cache is cleared after every write), so the world stays as built and
one finding never hides or causes another. A finding is a 5xx (other than a 503 "busy, try
again" with Retry-After) or an exception that reached Django's handler."""

from __future__ import annotations

import random
import sys
import traceback
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.signals import got_request_exception
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve

from . import payloads
from .forms import Form, parse_forms
from .routes import BOUNDED, EXAMPLES, SEED, Route, routes, urls_for
from .world import FuzzWorld

NOT_FUZZED_ACTIONS = {"account_logout", "admin:logout"}
CSRF = "csrfmiddlewaretoken"
CHUNK = 4  # fields sent hostile together in the bounded run
PROJECT = str(settings.BASE_DIR)


@dataclass
class Finding:
    role: str
    method: str
    url: str
    variant: str
    status: int
    error: str  # the traceback's last lines, or the response's first bytes

    def __str__(self) -> str:
        return f"{self.status} {self.role} {self.method} {self.url} [{self.variant}]\n{self.error}"


@dataclass
class Fuzzer:
    world: FuzzWorld
    role: str
    examples: int = EXAMPLES
    seed: int = SEED
    # Forms already fuzzed: the bounded run fuzzes a form once, on the first page and for the
    # first role that opens it (share the set between roles); the big run on every page.
    seen_forms: set = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    requests: int = 0
    forms: int = 0
    _errors: list = field(default_factory=list)
    _session: str = ""

    def __post_init__(self) -> None:
        self.rng = random.Random(f"{self.seed}-{self.role}")
        self.client = Client(enforce_csrf_checks=True, raise_request_exception=False)
        self.user = self.world.users[self.role]

    # -- running --------------------------------------------------------------------------------

    def run(self, only: list[Route] | None = None) -> list[Finding]:
        got_request_exception.connect(self._on_exception)
        try:
            for route in only if only is not None else routes():
                self.fuzz_route(route)
        finally:
            got_request_exception.disconnect(self._on_exception)
        return self.findings

    def fuzz_route(self, route: Route) -> None:
        staff = getattr(self.user, "is_staff", False)
        admin_page = route.name.startswith("admin:") and route.name != "admin:login"
        if BOUNDED and admin_page and not staff:
            return  # Django's admin_view sends them to its sign-in page before any of ours runs
        for url in urls_for(route, self.world, self.role):
            self._login()
            response = self.send("get", url, {}, "GET page")
            if BOUNDED and _refused(response):
                return  # the role may not open the route: its other objects would not differ
            html = _html(response)
            if html:
                self.fuzz_page(url, html, depth=0)

    def fuzz_page(self, url: str, html: str, depth: int) -> None:
        for form in parse_forms(html):
            target = urljoin(url, form.action or url)
            name = _url_name(target)
            if name is None or name in NOT_FUZZED_ACTIONS or name.startswith("api:"):
                continue
            signature = (name, form.method, tuple(sorted(form.fields)), tuple(form.buttons))
            if signature in self.seen_forms and BOUNDED:
                continue
            self.seen_forms.add(signature)
            self.forms += 1
            self.fuzz_form(target, form, depth)

    def fuzz_form(self, target: str, form: Form, depth: int) -> None:
        method = "post" if form.method == "post" else "get"
        baseline = form.baseline()
        for data, label in self._variants(form, baseline):
            self._login()
            html = _html(self.send(method, target, data, label))
            if depth == 0 and html and label.startswith(("baseline", "action ")):
                # An intermediate page (an admin action's confirmation, a preview): its forms
                # carry the first step's choices in hidden fields.
                self.fuzz_page(target, html, depth=1)

    # -- variants -------------------------------------------------------------------------------

    def _variants(self, form: Form, baseline: dict[str, list]):
        buttons = form.buttons or [None]
        for button in buttons:
            data = dict(baseline)
            if button:
                data[button[0]] = [button[1]]
            yield data, f"baseline {button[0] + '=' + button[1] if button else ''}".strip()
        press = dict([buttons[0]]) if buttons[0] else {}
        press = {k: [v] for k, v in press.items()}
        yield from self._admin_actions(form, baseline, press)
        fuzzable = [f for name, f in form.fields.items() if name != CSRF]
        kinds = {f.name: payloads.field_kind(f) for f in fuzzable}
        pools = {f.name: payloads.pool(f, kinds[f.name], self.world.foreign_ids) for f in fuzzable}
        # Fields in groups of CHUNK (one in the big run): every field gets `examples` values.
        chunk = 1 if self.examples > 1 else CHUNK
        for start in range(0, len(fuzzable), chunk):
            group = fuzzable[start : start + chunk]
            draws = {f.name: payloads.draw(self.rng, pools[f.name], self.examples) for f in group}
            for i in range(self.examples):
                data = {**baseline, **press}
                chosen = []
                for f in group:
                    value = draws[f.name][i % len(draws[f.name])]
                    _put(data, f.name, value)
                    chosen.append(f"{f.name} ({kinds[f.name]}) = {payloads.describe(value)}")
                yield data, ", ".join(chosen)
        for i in range(self.examples if fuzzable else 0):
            data = {**baseline, **press}
            chosen = []
            for f in fuzzable:
                value = self.rng.choice(pools[f.name])
                _put(data, f.name, value)
                chosen.append(f"{f.name}={payloads.describe(value)}")
            yield data, f"all fields hostile #{i}: " + ", ".join(chosen)
        yield {CSRF: baseline.get(CSRF, [])} | press, "every field missing"

    def _admin_actions(self, form: Form, baseline: dict, press: dict):
        """Each admin action on every listed object, on other workshops' ids, on bad ids."""
        action = form.fields.get("action")
        selected = form.fields.get("_selected_action")
        if action is None or selected is None:
            return
        hostile_ids = [[str(pk) for pk in self.world.foreign_ids[:3]], ["abc"], [str(2**64 + 1)]]
        for name in [o for o in action.options if o]:
            data = {**baseline, "action": [name], "_selected_action": list(selected.options)}
            yield data, f"action {name} on the listed objects"
            for ids in hostile_ids:
                data = {**baseline, "action": [name], "_selected_action": ids}
                yield data, f"{name} on {ids[:3]}"
            yield {**baseline, "action": [name], "select_across": ["1"]}, f"{name} across"

    # -- one request ----------------------------------------------------------------------------

    def send(self, method: str, url: str, data: dict, label: str):
        self.requests += 1
        self._errors.clear()
        prepared = {k: [payloads.upload(v) for v in vs] for k, vs in data.items()}
        prepared = {k: (vs[0] if len(vs) == 1 else vs) for k, vs in prepared.items() if vs}
        with transaction.atomic():
            if method == "get":
                response = self.client.get(url, prepared if data else None)
            else:
                response = self.client.post(url, prepared)
            transaction.set_rollback(True)
        if method != "get":
            cache.clear()
        busy = response.status_code == 503 and response.has_header("Retry-After")
        if self._errors or (response.status_code >= 500 and not busy):
            error = self._errors[0] if self._errors else _text(response)
            self.findings.append(
                Finding(self.role, method.upper(), url, label, response.status_code, error)
            )
        return response

    def _on_exception(self, sender, request=None, **kwargs) -> None:
        self._errors.append(_last_lines(sys.exc_info()[1]))

    def _login(self) -> None:
        """Signed in as the role, again if the last request ended or rotated the session (in
        a rolled-back savepoint, a rotated session no longer exists)."""
        if self.user is None:
            return
        cookie = self.client.cookies.get(settings.SESSION_COOKIE_NAME)
        if cookie is None or cookie.value != self._session:
            self.client.force_login(self.user)
            self._session = self.client.cookies[settings.SESSION_COOKIE_NAME].value


def _last_lines(exc: BaseException | None) -> str:
    """The project's last frames (not Django's or a library's) and the exception."""
    if exc is None:
        return ""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(PROJECT) and "/.venv/" not in f.filename]
    lines = traceback.format_list(ours[-3:] or frames[-2:])
    message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return ("".join(lines) + message[:500]).rstrip()


def _refused(response) -> bool:
    """Forbidden, or sent to a sign-in page."""
    if response.status_code == 403:
        return True
    return response.status_code == 302 and "login" in response.get("Location", "")


def _text(response) -> str:
    return "" if response.streaming else response.content[:300].decode(errors="replace")


def _html(response) -> str:
    """The page's HTML if it is a page with a form (files are closed unread)."""
    if response.streaming:
        # Read to the end: the test client then closes it without closing the connection
        # (a plain close() would, inside the test's transaction on PostgreSQL).
        for _chunk in response.streaming_content:
            pass
        return ""
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return ""
    if b"<form" not in response.content:
        return ""
    return response.content.decode(errors="replace")


def _put(data: dict, name: str, value: object) -> None:
    if value is payloads.MISSING:
        data.pop(name, None)
    elif isinstance(value, list):
        data[name] = value
    else:
        data[name] = [value]


def _url_name(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc and parts.netloc not in ("testserver", ""):
        return None
    try:
        return resolve(parts.path).view_name
    except Resolver404:
        return None


def report(findings: list[Finding]) -> str:
    return "\n\n".join(str(f) for f in findings)
