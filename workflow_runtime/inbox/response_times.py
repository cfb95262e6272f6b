"""How fast the team answers: first-response time per conversation opening and reply time per answer, overall
and per operator, over a window of time (the answers given in it)."""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_runtime.channels import team_push
from workflow_runtime.storage.models import ConversationResponse, User


def percentile(ordered: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile of sorted values (`share` 0.5: the median); None for no values."""
    if not ordered:
        return None
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def spread(values: Sequence[float]) -> dict[str, Any]:
    """How many values, their median and 90th percentile in seconds."""
    ordered = sorted(values)
    return {"count": len(ordered), "median_seconds": percentile(ordered, 0.5), "p90_seconds": percentile(ordered, 0.9)}


def report(session: Session, since: datetime, until: datetime) -> dict[str, Any]:
    """The answers given from `since` to `until` (both included): how many, in how many conversations, how
    long contacts waited for them, and the same per operator (answers through an API token under `user` None)."""
    rows = session.execute(select(ConversationResponse.conversation_id, ConversationResponse.user_id,
                                  ConversationResponse.waited_seconds, ConversationResponse.first_in_opening)
                           .where(ConversationResponse.created_at >= since, ConversationResponse.created_at <= until)).all()
    waits: defaultdict[int | None, list[float]] = defaultdict(list)
    firsts: defaultdict[int | None, list[float]] = defaultdict(list)
    for _conversation_id, user_id, waited, first in rows:
        waits[user_id].append(waited)
        if first:
            firsts[user_id].append(waited)
    users = {user.id: user for user in session.scalars(select(User).where(User.id.in_([u for u in waits if u])))}
    operators = [{
        "user": team_push.user_view(users.get(user_id)) if user_id is not None else None,
        "replies": len(waits[user_id]),
        "first_responses": len(firsts[user_id]),
        "median_reply_seconds": percentile(sorted(waits[user_id]), 0.5),
        "median_first_response_seconds": percentile(sorted(firsts[user_id]), 0.5),
    } for user_id in sorted(waits, key=lambda user_id: (-len(waits[user_id]), user_id or 0))]
    return {
        "conversations": len({row.conversation_id for row in rows}),
        "replies": len(rows),
        "first_response": spread([waited for each in firsts.values() for waited in each]),
        "reply_time": spread([waited for each in waits.values() for waited in each]),
        "operators": operators,
    }
