"""What an OPTIONS request answers: the view's name, description, media types, and for each
write the caller may make, the fields of the body the schema documents for it.

DRF's `SimpleMetadata` describes a generic view's `get_serializer()` and, for PUT, first
fetches `get_object()`: the API's views have no queryset (each handler finds its objects
through the policy) and several take another body than they answer, so OPTIONS answered
500. Here the body is the one `@extend_schema(request=...)` documents, and no object is
fetched (whether the caller may change a given object is the handler's answer to the
request itself).
"""

from __future__ import annotations

import inspect
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.metadata import SimpleMetadata
from rest_framework.request import clone_request

WRITES = ("POST", "PUT", "PATCH")


def documented_request(view: Any, method: str) -> serializers.BaseSerializer | None:
    """The request body's serializer that the handler's `@extend_schema` names (None for
    none, e.g. `request=None`, or a body that is not a serializer)."""
    handler = getattr(view, method.lower(), None)
    schema_class = getattr(handler, "kwargs", {}).get("schema")
    if schema_class is None:
        return None
    inspector = schema_class()
    inspector.view = view
    inspector.method = method
    inspector.path = view.request.path
    body = inspector.get_request_serializer()
    if isinstance(body, dict):  # {media type: serializer}
        body = next(iter(body.values()), None)
    if inspect.isclass(body) and issubclass(body, serializers.BaseSerializer):
        body = body()
    return body if isinstance(body, serializers.BaseSerializer) else None


class ApiMetadata(SimpleMetadata):
    def determine_metadata(self, request, view):  # type: ignore[no-untyped-def]
        metadata = {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
        }
        actions = self.determine_actions(request, view)
        if actions:
            metadata["actions"] = actions
        return metadata

    def determine_actions(self, request, view):  # type: ignore[no-untyped-def]
        actions = {}
        for method in [m for m in WRITES if m in view.allowed_methods]:
            view.request = clone_request(request, method)
            try:
                view.check_permissions(view.request)
                body = documented_request(view, method)
            except (exceptions.APIException, PermissionDenied, Http404):
                continue
            finally:
                view.request = request
            if body is not None:
                actions[method] = self.get_serializer_info(body)
        return actions
