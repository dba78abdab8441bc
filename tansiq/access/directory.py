"""Look-ups between the codes the API speaks and the ids the tables keep."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from tansiq.access.models import Agency, User
from tansiq.errors import Problem


class Directory:
    """Agency codes and usernames for one session; agencies are few, so all are loaded at once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_code: dict[str, Agency] | None = None
        self._by_id: dict[int, Agency] = {}
        self._usernames: dict[int, str] = {}

    def _load(self) -> dict[str, Agency]:
        if self._by_code is None:
            agencies = self.session.execute(select(Agency)).scalars().all()
            self._by_code = {a.code: a for a in agencies}
            self._by_id = {a.id: a for a in agencies}
        return self._by_code

    def agency(self, code: str, field: str = "agency") -> Agency:
        agency = self._load().get(code)
        if agency is None or not agency.active:
            raise Problem(422, "unknown_reference", field=field, value=code)
        return agency

    def agency_id(self, code: str, field: str = "agency") -> int:
        return self.agency(code, field).id

    def agency_code(self, agency_id: int) -> str:
        code = _CODES.get(agency_id)  # ids and codes never change: no need to load every agency
        if code is not None:
            return code
        self._load()
        agency = self._by_id.get(agency_id)
        if agency is None:  # created after this directory loaded
            self._by_code = None
            self._load()
            agency = self._by_id[agency_id]
        _CODES[agency_id] = agency.code
        return agency.code

    def usernames(self, ids: Iterable[int]) -> dict[int, str]:
        missing = {i for i in ids if i not in self._usernames}
        if missing:
            rows = self.session.execute(select(User.id, User.username).where(User.id.in_(missing)))
            self._usernames.update({uid: name for uid, name in rows})
        return self._usernames

    def username(self, user_id: int) -> str:
        return self.usernames([user_id]).get(user_id, "?")


_CODES: dict[int, str] = {}


def agency_code_of(session: Session, agency_id: int) -> str:
    """An agency's code by id, cached for the process: ids and codes never change."""
    code = _CODES.get(agency_id)
    if code is None:
        code = session.execute(select(Agency.code).where(Agency.id == agency_id)).scalar_one()
        _CODES[agency_id] = code
    return code
