"""Checking the whole chain, and anchors: (seq, hash) pairs kept outside the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tansiq.audit.chain import FIELDS, link
from tansiq.audit.models import GENESIS, AuditEntry, AuditHead


@dataclass
class ChainReport:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    broken_at: int | None = None
    reason: str | None = None
    anchors_checked: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "problems"}


def _entry(row: AuditEntry) -> dict[str, Any]:
    return {k: getattr(row, k) for k in FIELDS}


def verify_chain(session: Session, anchors: list[tuple[int, str]] | None = None) -> ChainReport:
    """Walk every entry in order; report the first link that does not hold."""
    head_seq, head_hash = session.execute(
        select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)
    ).one()
    wanted = dict(anchors or [])
    prev, expected, checked, anchors_seen = GENESIS, 1, 0, 0

    def broken(at: int, reason: str) -> ChainReport:
        return ChainReport(False, checked, head_seq, head_hash, at, reason, anchors_seen)

    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
    for row in rows.yield_per(2000) if hasattr(rows, "yield_per") else rows:
        if row.seq != expected:
            return broken(
                expected,
                f"expected entry {expected}, found {row.seq}: an entry was "
                "removed, inserted or renumbered",
            )
        if row.prev_hash != prev:
            return broken(
                row.seq,
                "its link to the previous entry does not match: entries were "
                "removed, inserted or reordered before it",
            )
        if link(prev, _entry(row)) != row.hash:
            return broken(row.seq, "its content does not match its hash: the entry was edited")
        if row.seq in wanted:
            if wanted[row.seq] != row.hash:
                return broken(
                    row.seq,
                    "it does not match the exported anchor: history was "
                    "rewritten since the anchor was taken",
                )
            anchors_seen += 1
        prev, expected, checked = row.hash, expected + 1, checked + 1
    if checked != head_seq or prev != head_hash:
        return broken(
            checked + 1,
            f"the chain ends at {checked} but its head says {head_seq}: "
            "entries at the end were removed",
        )
    missing = [s for s in wanted if s > checked]
    if missing:
        return broken(min(missing), "an exported anchor points past the end of the chain")
    return ChainReport(True, checked, head_seq, head_hash, anchors_checked=anchors_seen)


def anchor(session: Session) -> dict[str, Any]:
    seq, digest = session.execute(
        select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)
    ).one()
    return {"seq": int(seq), "hash": digest}
