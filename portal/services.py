from __future__ import annotations

from django.db import transaction

from .models import User


@transaction.atomic
def user_set_language(*, user: User, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])
