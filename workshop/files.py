"""Serving a stored file: streamed through Django, or a redirect to a short-lived signed URL
of the object store when `FILES_SIGNED_URLS` is on and the storage makes such URLs
(S3Storage with `AWS_QUERYSTRING_AUTH`). Either way the caller has asked its permission
first: the signed URL names one object and expires after `FILES_SIGNED_URL_SECONDS`."""

from __future__ import annotations

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header


def signed_url(source: FieldFile, *, filename: str, content_type: str, as_attachment: bool):
    """The object store's signed URL for `source` (the download's name and type baked into
    the signature), or None when the storage cannot sign (the local disk) or the setting is
    off."""
    if not getattr(settings, "FILES_SIGNED_URLS", False):
        return None
    storage = source.storage
    if not getattr(storage, "querystring_auth", False):
        return None
    return storage.url(
        source.name,
        parameters={
            "ResponseContentDisposition": content_disposition_header(as_attachment, filename),
            "ResponseContentType": content_type,
            "ResponseCacheControl": "private, no-store",
        },
        expire=settings.FILES_SIGNED_URL_SECONDS,
    )


def stored_file_response(
    source: FieldFile, *, filename: str, content_type: str, as_attachment: bool = True
) -> HttpResponse:
    """The response for a stored file the viewer may read (the caller asked)."""
    url = signed_url(
        source, filename=filename, content_type=content_type, as_attachment=as_attachment
    )
    if url:
        response: HttpResponse = HttpResponseRedirect(url)
    else:
        response = FileResponse(
            source.open("rb"),
            as_attachment=as_attachment,
            filename=filename,
            content_type=content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
