"""An AccountError as the admin API answers it: 404 for an unknown user or token, 409 for a taken email or a
user disabling themself, else 400 naming the field."""
from __future__ import annotations

from builder_api.accounts import AccountError, AccountExists, AccountNotFound, CannotDisableSelf
from builder_api.errors import ApiError


def account_api_error(error: AccountError) -> ApiError:
    """The 4xx answer for `error`, with the field it is about as a JSON pointer."""
    status = 404 if isinstance(error, AccountNotFound) else 409 if isinstance(error, AccountExists | CannotDisableSelf) \
        else 400
    details = [{"field": error.field, "pointer": f"/{error.field}", "location": "json", "message": str(error)}] \
        if error.field and status != 404 else None
    return ApiError(status, str(error), details)
