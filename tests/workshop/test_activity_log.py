"""The activity log's relation walk with the objects views really pass."""

from __future__ import annotations

import pytest
from django.utils.functional import SimpleLazyObject

from tests.factories import UserFactory
from workshop.activity import activity_record
from workshop.policy import SYSTEM


@pytest.mark.django_db
def test_a_lazy_request_user_as_target_is_recorded_as_the_user():
    """Views pass `request.user` (a SimpleLazyObject): the entry concerns the real user."""
    user = UserFactory()
    lazy = SimpleLazyObject(lambda: user)
    entry = activity_record(actor=SYSTEM, action="profile.update", target=lazy, summary="lazy")
    assert (entry.target_type.model, entry.target_id) == ("user", user.pk)
