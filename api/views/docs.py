"""Swagger UI from drf-spectacular-sidecar's vendored files (no CDN).

The sidecar's page starts Swagger UI with an inline script, which the strict CSP forbids;
this page loads `static/js/api-docs.js` instead, with the schema URL in a data attribute.
"""

from __future__ import annotations

from django.views.generic import TemplateView
from drf_spectacular.utils import extend_schema


@extend_schema(exclude=True)
class ApiDocs(TemplateView):
    template_name = "api/docs.html"
