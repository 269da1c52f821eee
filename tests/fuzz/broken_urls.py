"""A page whose form breaks on a non-finite number: the fuzzer's own test (test_fuzzer.py)
checks that it finds the 500 and names the field and the payload."""

from django import forms
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.urls import include, path


class _Form(forms.Form):
    title = forms.CharField()
    weight = forms.CharField()


def _page(request):
    form = _Form(request.POST or None)
    if form.is_valid():
        int(float(form.cleaned_data["weight"]))  # OverflowError or ValueError on nan/inf
        return HttpResponse("saved")
    return HttpResponse(
        f'<form method="post"><input type="hidden" name="csrfmiddlewaretoken" '
        f'value="{get_token(request)}"><input name="title" value="A title">'
        f'<input name="weight" value="1"><button name="save" value="1">Save</button></form>',
        content_type="text/html",
    )


# The project's own routes too: its middleware and error pages link to them.
urlpatterns = [path("fuzz-form/", _page, name="fuzz_form"), path("", include("workshop.urls"))]
