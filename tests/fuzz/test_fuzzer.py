"""The fuzzer's own tests: it reads forms as a browser would, and it finds a 500."""

from __future__ import annotations

import pytest

from .forms import parse_forms
from .routes import Route
from .runner import Fuzzer
from .world import FuzzWorld

PAGE = """
<form method="post" action="/x/" enctype="multipart/form-data">
  <input type="hidden" name="csrfmiddlewaretoken" value="tok">
  <input name="title" value="T &amp; U"><input type="number" name="weight" value="2">
  <input type="checkbox" name="topics" value="1" checked><input type="checkbox" name="topics"
  value="2"><input type="checkbox" name="agree"><input type="radio" name="kind" value="a">
  <input type="radio" name="kind" value="b" checked><input type="file" name="pdf">
  <select name="track"><option value="3">Three</option><option value="4" selected>Four
  </option></select><select name="mode"><option>first</option><option>second</option></select>
  <textarea name="abstract">
Hello</textarea><input type="submit" name="_save" value="Save"><button type="button">x</button>
</form>
<form><input name="q"></form>
<input form="outside" name="lost"><form id="outside" method="POST"></form>
"""


def test_forms_are_read_as_a_browser_sends_them():
    first, search, linked = parse_forms(PAGE)
    assert (first.method, first.action) == ("post", "/x/")
    assert first.baseline() == {
        "csrfmiddlewaretoken": ["tok"], "title": ["T & U"], "weight": ["2"], "topics": ["1"],
        "kind": ["b"], "pdf": [], "track": ["4"], "mode": ["first"], "abstract": ["Hello"],
    }  # fmt: skip
    assert first.fields["topics"].options == ["1", "2"]
    assert first.fields["agree"].values == []
    assert first.buttons == [("_save", "Save")]
    assert (search.method, list(search.fields)) == ("get", ["q"])
    assert (linked.method, list(linked.fields)) == ("post", ["lost"])


@pytest.mark.django_db
@pytest.mark.urls("tests.fuzz.broken_urls")
def test_the_fuzzer_finds_a_500_and_names_the_payload():
    world = FuzzWorld(users={"anonymous": None}, workshops=[], foreign=None, foreign_ids=[7])
    fuzzer = Fuzzer(world, "anonymous", examples=40)
    findings = fuzzer.run(only=[Route("fuzz_form", "fuzz-form/", ())])
    assert fuzzer.forms == 1
    payloads = {f.variant for f in findings}
    assert "weight (number) = 'nan'" in payloads
    assert "weight (number) = '1e999'" in payloads
    assert all(f.status == 500 and f.url == "/fuzz-form/" for f in findings)
    assert any("OverflowError" in f.error for f in findings)
    assert not any(v.startswith("title") for v in payloads)
