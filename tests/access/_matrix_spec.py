"""The access rule, stated again for the access matrix, independently of the server's code.

Nothing here imports `tansiq`: the matrix must not grade the server against the server's own
rule. What a user may do is decided in this order:

1. the role lacks the permission the action needs -> 403 `forbidden` (routes check the role
   before they look the record up, so the answer is the same for a hidden, a visible and a
   missing record: it says nothing about the record);
2. the record is not visible -> 404 `not_found`, and absent from lists, searches, counts and
   the feed (live and replay);
3. sharing by an agency that does not own the record -> 403 `not_owner`;
4. otherwise the action succeeds.

Visible <=> clearance >= classification and (agency owns the record or it is shared with it).
"""

from __future__ import annotations

from collections.abc import Iterable

LEVELS = ("public", "restricted", "confidential", "secret")  # clearance and classification
RANK = {name: rank for rank, name in enumerate(LEVELS)}

_READ_ONLY = frozenset({"read"})
_FIELD = frozenset({"read", "create", "note", "transition", "unit_report"})
_DISPATCH = _FIELD | {"update", "assign", "unit_manage", "share"}
MAY: dict[str, frozenset[str]] = {
    "viewer": _READ_ONLY,
    "analyst": _READ_ONLY,
    "liaison": frozenset({"read", "note", "share"}),
    "field_unit": _FIELD,
    "dispatcher": _DISPATCH,
    "supervisor": _DISPATCH | {"user_list"},
    "admin": _DISPATCH | {"user_list", "user_admin", "reference_admin"},
}
ROLES = tuple(MAY)

# The permission each action of the matrix needs.
NEEDS = {
    "read": "read",
    "list": "read",
    "search": "read",
    "count": "read",
    "feed_live": "read",
    "feed_replay": "read",
    "update": "update",
    "transition": "transition",
    "assign": "assign",
    "share": "share",
}
RECORD_ACTIONS = ("read", "update", "transition", "assign", "share")  # answer 404 when hidden
COLLECTION_ACTIONS = ("list", "search", "count", "feed_live", "feed_replay")  # leave it out
MUTATIONS = ("update", "transition", "assign", "share")

# Outcomes
OK = "ok"  # 2xx, or present in the collection
HIDDEN = "not_found"  # 404, or absent from the collection
FORBIDDEN = "forbidden"  # 403: the role may not
NOT_OWNER = "not_owner"  # 403: only the owning agency shares


def sees(
    agency: str, clearance: str, owner: str, classification: str, shared_with: Iterable[str]
) -> bool:
    return RANK[clearance] >= RANK[classification] and (
        agency == owner or agency in set(shared_with)
    )


def expected(
    action: str,
    role: str,
    agency: str,
    clearance: str,
    owner: str | None,
    classification: str | None,
    shared_with: Iterable[str] = (),
) -> str:
    """The one outcome the server must give; `owner` None: a record that does not exist."""
    if NEEDS[action] not in MAY[role]:
        return FORBIDDEN
    if owner is None or classification is None:
        return HIDDEN
    if not sees(agency, clearance, owner, classification, shared_with):
        return HIDDEN
    if action == "share" and agency != owner:
        return NOT_OWNER
    return OK


def audience_admits(
    agency: str, clearance: str, classification: str, agencies: Iterable[str]
) -> bool:
    """Whether a feed event about a record with this classification and these agencies reaches
    a subscriber: the same rule as for the record itself, at the moment of the event."""
    return RANK[clearance] >= RANK[classification] and agency in set(agencies)
