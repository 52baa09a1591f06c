"""Opaque page cursors: the last row's id and a fingerprint of the query they belong to.

A cursor is base64url JSON, signed by nothing: it names only a position in a listing the caller
may read anyway. The fingerprint makes a cursor of one filter or sort fail loudly under another
instead of skipping rows.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from api.problems import Problem
from data.repos.recommendation_pages import RecommendationFilter


def fingerprint(where: RecommendationFilter) -> str:
    text = json.dumps(
        [where.status, where.team, where.service_id, where.kind, where.sort], sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode(last_id: int, where: RecommendationFilter) -> str:
    raw = json.dumps({"after": last_id, "query": fingerprint(where)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str | None, where: RecommendationFilter) -> int | None:
    """The id to start after (None: first page); 422 for a cursor not of this query."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after, query = value["after"], value["query"]
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise Problem(422, "invalid-cursor", "the cursor is not one this API issued") from error
    if not isinstance(after, int) or query != fingerprint(where):
        raise Problem(
            422, "invalid-cursor", "the cursor belongs to another filter or sort: start again"
        )
    return after
