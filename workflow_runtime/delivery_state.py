"""Where a message stands with its channel's deliverer; the claim protocol that makes a send happen once."""
from __future__ import annotations

import enum


class DeliveryState(str, enum.Enum):
    """pending: waiting for its first or next attempt (`next_attempt_at`, none = at once);
    sending: claimed by a worker under a lease, nothing handed over yet (an expired lease
    puts it back to pending); submitting: being handed to the server, so a crash leaves it
    unknown whether it went out (an expired lease fails it rather than risk a second copy);
    delivered: the server accepted it; failed: given up (last_error says why)."""

    PENDING = "pending"
    SENDING = "sending"
    SUBMITTING = "submitting"
    DELIVERED = "delivered"
    FAILED = "failed"
