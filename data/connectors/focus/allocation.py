"""Allocation rules: which service (tag, then ResourceId pattern) or team (account) a row is for."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from data.connectors.focus.text import storable
from data.connectors.focus.values import Interner, TextCodes, is_null_text, parse_text
from engine.arrays import BoolArray, IntArray

UNALLOCATED, BY_TAG, BY_RESOURCE, BY_ACCOUNT = 0, 1, 2, 3
UNSTORABLE = -3  # a service code: the tag names text the database cannot store
METHOD_NAMES = ("unallocated", "tag", "resource_id", "account")


class ResourcePattern(BaseModel):
    """A case-insensitive glob over ResourceId (`*` and `?`), naming the service it belongs to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pattern: str = Field(min_length=1, max_length=500)
    service: str = Field(min_length=1, max_length=120)


class AllocationRules(BaseModel):
    """Tag keys first, then ResourceId patterns; rows neither claims may carry a team by account.

    A tag value (or a pattern's service) names a service by slug or by the value of the
    service's own allocation rule; rows that name no known service are *unallocated*.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    tag_keys: tuple[str, ...] = Field(default=("service", "application"), max_length=20)
    resource_patterns: tuple[ResourcePattern, ...] = Field(default=(), max_length=1_000)
    account_teams: Mapping[str, str] = Field(
        default_factory=dict, description="SubAccountId (or BillingAccountId) → team."
    )


@dataclass(frozen=True, slots=True)
class RowAllocation:
    """Per row: code of the service reference (-1: none), of the team (-1), and the method."""

    service_codes: IntArray
    team_codes: IntArray
    methods: IntArray
    unstorable: BoolArray  # Tags whose JSON decodes to text PostgreSQL refuses (NUL, surrogate)


class Allocator:
    """Applies the rules to batches; every distinct Tags or ResourceId text is parsed once."""

    def __init__(self, rules: AllocationRules) -> None:
        self._keys = tuple(key.strip().lower() for key in rules.tag_keys)
        self._patterns = [
            (re.compile(fnmatch.translate(p.pattern.lower())), p.service.strip())
            for p in rules.resource_patterns
        ]
        self._teams = {account.strip(): team for account, team in rules.account_teams.items()}
        self.services: Interner[str] = Interner(parse_text)
        self.teams: Interner[str] = Interner(parse_text)
        self._by_tags = TextCodes(self._tag_service)
        self._by_resource = TextCodes(self._resource_service)
        self.unreadable_tags = 0

    def allocate(self, batch: pa.RecordBatch) -> RowAllocation:
        rows = batch.num_rows
        by_tag = self._lookup(batch, "Tags", self._by_tags)
        by_resource = (
            self._lookup(batch, "ResourceId", self._by_resource)
            if self._patterns
            else np.full(rows, -1, dtype=np.int64)
        )
        service = np.where(by_tag >= 0, by_tag, by_resource)
        team = np.where(service >= 0, -1, self._account_teams(batch, rows))
        methods = np.select(
            [by_tag >= 0, by_resource >= 0, team >= 0],
            [BY_TAG, BY_RESOURCE, BY_ACCOUNT],
            UNALLOCATED,
        )
        return RowAllocation(service, team, methods.astype(np.int64), by_tag == UNSTORABLE)

    def _lookup(self, batch: pa.RecordBatch, name: str, codes: TextCodes) -> IntArray:
        if name not in batch.schema.names:
            return np.full(batch.num_rows, -1, dtype=np.int64)
        return codes.codes(batch.column(name))

    def _tag_service(self, text: str) -> int:
        if is_null_text(text):
            return -1
        try:
            tags = json.loads(text)
        except ValueError:
            self.unreadable_tags += 1
            return -1
        if not isinstance(tags, dict):
            self.unreadable_tags += 1
            return -1
        normalised = {str(key).strip().lower(): value for key, value in tags.items()}
        for key in self._keys:
            value = normalised.get(key)
            if value is not None and str(value).strip():
                return self.services.code(str(value)) if storable(str(value)) else UNSTORABLE
        return -1

    def _resource_service(self, text: str) -> int:
        lowered = text.strip().lower()
        for pattern, service in self._patterns:
            if pattern.fullmatch(lowered):
                return self.services.code(service)
        return -1

    def _account_teams(self, batch: pa.RecordBatch, rows: int) -> IntArray:
        team = np.full(rows, -1, dtype=np.int64)
        if not self._teams:
            return team
        for name in ("BillingAccountId", "SubAccountId"):  # the finer account wins
            if name in batch.schema.names:
                found = self._lookup(batch, name, TextCodes(self._team_of))
                team = np.where(found >= 0, found, team)
        return team

    def _team_of(self, account: str) -> int:
        team = self._teams.get(account.strip())
        return -1 if team is None else self.teams.code(team)
