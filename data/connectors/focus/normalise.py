"""One batch of FOCUS text → integer-coded dimensions and exact money, with its findings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data.connectors.focus import enums
from data.connectors.focus.allocation import AllocationRules, Allocator
from data.connectors.focus.commitments import CommitmentRows, first_seen
from data.connectors.focus.findings import Findings, Severity
from data.connectors.focus.row_checks import Flag, check_periods, check_storable
from data.connectors.focus.values import (
    Interner,
    invalid_rows,
    money,
    null_rows,
    parse_text,
    parse_timestamp,
)
from engine.arrays import BoolArray, IntArray

SECONDS_PER_DAY = 86_400
TIMESTAMP_COLUMNS = (
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "BillingPeriodStart",
    "BillingPeriodEnd",
)
MONEY_COLUMNS = ("BilledCost", "EffectiveCost", "ListCost")
# Enumerations that only describe: a value outside the set is a warning, not a rejection.
_DESCRIPTIVE_ENUMS = (
    ("ChargeClass", enums.CHARGE_CLASSES, None),
    ("ChargeFrequency", enums.CHARGE_FREQUENCIES, None),
    ("PricingCategory", enums.PRICING_CATEGORIES, enums.PRICING_CATEGORY_RENAMES),
    ("CommitmentDiscountStatus", enums.COMMITMENT_STATUSES, None),
)
KEY_COLUMNS = (
    "charge_day",
    "billing_currency",
    "service_category",
    "charge_category",
    "provider",
    "billing_account",
    "billing_period",
    "billing_period_end",
    "sub_account",
    "service",
    "team",
    "method",
)


@dataclass(frozen=True, slots=True)
class CodedBatch:
    """Integer codes per dimension (KEY_COLUMNS), money per row, and the rows free of errors.

    `commitments` are the error-free rows that measure a commitment discount (None: the file
    has no CommitmentDiscountId or CommitmentDiscountStatus column).
    """

    keys: dict[str, IntArray]
    money: dict[str, pa.Array]
    ok: BoolArray
    commitments: CommitmentRows | None = None


class Normaliser:
    """Holds every dictionary (timestamps, currencies, names) for the whole file."""

    def __init__(
        self, rules: AllocationRules, findings: Findings, *, check_text: bool = False
    ) -> None:
        self.findings = findings
        self._check_text = check_text
        self.timestamps: Interner[int] = Interner(parse_timestamp)
        self.periods: Interner[int] = Interner(parse_timestamp)  # billing periods: few values
        self.texts: Interner[str] = Interner(parse_text)
        self.currencies: Interner[str] = Interner(enums.parse_currency)
        self.charge_category = enums.Enumeration("ChargeCategory", enums.CHARGE_CATEGORIES)
        self.service_category = enums.Enumeration("ServiceCategory", enums.SERVICE_CATEGORIES)
        self.categories: Interner[str] = Interner(self.service_category)
        self.descriptive = [
            (enums.Enumeration(column, allowed, renames), column)
            for column, allowed, renames in _DESCRIPTIVE_ENUMS
        ]
        self._descriptive_codes = [Interner(parser) for parser, _ in self.descriptive]
        self._status_index = [name for _, name in self.descriptive].index(
            "CommitmentDiscountStatus"
        )
        self.charge_categories: Interner[str] = Interner(self.charge_category)
        self.allocator = Allocator(rules)
        self._other = self.categories.code("Other")
        # Commitment id code → (name code, type code), texts interned like the ids.
        self.commitment_names: dict[int, tuple[int, int]] = {}

    def normalise(self, batch: pa.RecordBatch, first_row: int) -> CodedBatch:
        ok = np.ones(batch.num_rows, dtype=np.bool_)
        codes = {
            name: self._timestamp_codes(batch, name, first_row, ok) for name in TIMESTAMP_COLUMNS
        }
        seconds = {name: self._seconds(name, codes[name]) for name in TIMESTAMP_COLUMNS}
        amounts = {name: self._money(batch, name, first_row, ok) for name in MONEY_COLUMNS}
        flag = self._flagger(first_row)
        check_periods(seconds, ok, flag)
        statuses = self._check_descriptive(batch, first_row)
        allocation = self.allocator.allocate(batch)
        check_storable(batch, allocation.unstorable, ok, flag, whole_batch=self._check_text)
        keys = {
            "charge_day": seconds["ChargePeriodStart"] // SECONDS_PER_DAY,
            "billing_currency": self._required(
                batch, "BillingCurrency", self.currencies, first_row, ok, what="an ISO 4217 code"
            ),
            "service_category": self._category(batch, first_row),
            "charge_category": self._required(
                batch, "ChargeCategory", self.charge_categories, first_row, ok
            ),
            "provider": self._provider(batch, first_row),
            "billing_account": self._required(batch, "BillingAccountId", self.texts, first_row, ok),
            # Billing periods are few: their timestamp codes double as partition keys.
            "billing_period": codes["BillingPeriodStart"],
            "billing_period_end": codes["BillingPeriodEnd"],
            "sub_account": self._optional_text(batch, "SubAccountId"),
            "service": allocation.service_codes,
            "team": allocation.team_codes,
            "method": allocation.methods,
        }
        status = statuses.get("CommitmentDiscountStatus")
        commitments = self._commitments(batch, keys, status, amounts["EffectiveCost"], ok)
        return CodedBatch(keys, amounts, ok, commitments)

    def _commitments(
        self,
        batch: pa.RecordBatch,
        keys: dict[str, IntArray],
        status: IntArray | None,
        effective: pa.Array,
        ok: BoolArray,
    ) -> CommitmentRows | None:
        """FOCUS 1.2: Usage rows with a CommitmentDiscountId and status Used or Unused measure
        a commitment (Unused is the waste); purchase rows carry the fee and are left out."""
        if status is None or "CommitmentDiscountId" not in batch.schema.names:
            return None
        ids = self._optional_text(batch, "CommitmentDiscountId")
        interner = self._descriptive_codes[self._status_index]
        used, unused = status == interner.code("Used"), status == interner.code("Unused")
        usage = keys["charge_category"] == self.charge_categories.code("Usage")
        rows = np.flatnonzero(ok & usage & (ids >= 0) & (used | unused))
        if rows.size:
            first_seen(
                self.commitment_names,
                ids[rows],
                self._optional_text(batch, "CommitmentDiscountName")[rows],
                self._optional_text(batch, "CommitmentDiscountType")[rows],
            )
        codes = {
            "charge_day": keys["charge_day"][rows],
            "billing_currency": keys["billing_currency"][rows],
            "billing_account": keys["billing_account"][rows],
            "commitment": ids[rows],
        }
        return CommitmentRows(codes, used[rows], effective.take(pa.array(rows)))

    def _timestamp_codes(
        self, batch: pa.RecordBatch, name: str, first_row: int, ok: BoolArray
    ) -> IntArray:
        interner = self.periods if name.startswith("Billing") else self.timestamps
        return self._required(batch, name, interner, first_row, ok, what="a timestamp")

    def _seconds(self, name: str, codes: IntArray) -> IntArray:
        """Seconds since the epoch per row (0 where null or invalid: those rows have errors)."""
        interner = self.periods if name.startswith("Billing") else self.timestamps
        values = np.array([*interner.values, 0], dtype=np.int64)
        return values[np.where(codes >= 0, codes, len(interner.values))]

    def _required(
        self,
        batch: pa.RecordBatch,
        name: str,
        interner: Interner[str] | Interner[int],
        first_row: int,
        ok: BoolArray,
        *,
        what: str = "an allowed value",
    ) -> IntArray:
        """Codes of a column that must hold a valid value: nulls and invalid values are errors."""
        column = batch.column(name)
        codes = interner.codes(column)
        for rows, kind, problem in (
            (null_rows(codes), "empty", "is empty"),
            (invalid_rows(codes), "invalid", f"is not {what}"),
        ):
            ok[rows] = False
            self._flag(
                "error", f"{name}:{kind}", f"{name} {problem}", name, rows, first_row, column
            )
        return codes

    def _money(self, batch: pa.RecordBatch, name: str, first_row: int, ok: BoolArray) -> pa.Array:
        column = batch.column(name)
        amounts, invalid = money(column)
        bad = np.flatnonzero(invalid)
        ok[bad] = False
        message = f"{name} is not a number (write 1234.5: no currency sign, no thousands separator)"
        self._flag("error", f"{name}:not_a_number", message, name, bad, first_row, column)
        return self._fill_missing(amounts, name, first_row, ok, invalid)

    def _fill_missing(
        self, amounts: pa.Array, name: str, first_row: int, ok: BoolArray, invalid: BoolArray
    ) -> pa.Array:
        if amounts.null_count == 0:
            return amounts
        missing = np.flatnonzero(amounts.is_null().to_numpy(zero_copy_only=False) & ~invalid)
        strict = name != "ListCost"  # a missing list price does not change what was paid
        if strict:
            ok[missing] = False
        message = f"{name} is empty" + ("" if strict else " (counted as 0)")
        severity: Severity = "error" if strict else "warning"
        self._flag(severity, f"{name}:empty", message, name, missing, first_row)
        return pc.fill_null(amounts, pa.scalar(0, amounts.type))

    def _category(self, batch: pa.RecordBatch, first_row: int) -> IntArray:
        codes = self.categories.codes(batch.column("ServiceCategory"))
        odd = np.flatnonzero(codes < 0)
        message = "ServiceCategory is empty or not a FOCUS category (counted as Other)"
        column = batch.column("ServiceCategory")
        self._flag(
            "warning", "ServiceCategory:unknown", message, "ServiceCategory", odd, first_row, column
        )
        return np.where(codes >= 0, codes, self._other)

    def _provider(self, batch: pa.RecordBatch, first_row: int) -> IntArray:
        codes = self.texts.codes(batch.column("ProviderName"))
        empty = np.flatnonzero(codes < 0)
        message = "ProviderName is empty (counted as Unknown)"
        self._flag("warning", "ProviderName:empty", message, "ProviderName", empty, first_row)
        return np.where(codes >= 0, codes, self.texts.code("Unknown"))

    def _optional_text(self, batch: pa.RecordBatch, name: str) -> IntArray:
        if name not in batch.schema.names:
            return np.full(batch.num_rows, -1, dtype=np.int64)
        return np.maximum(self.texts.codes(batch.column(name)), -1)

    def _check_descriptive(self, batch: pa.RecordBatch, first_row: int) -> dict[str, IntArray]:
        """Warn on values outside each set; the codes per column present (for commitments)."""
        found = {}
        for interner, (parser, name) in zip(self._descriptive_codes, self.descriptive, strict=True):
            if name not in batch.schema.names:
                continue
            found[name] = codes = interner.codes(batch.column(name))
            odd = invalid_rows(codes)
            message = f"{name} is not one of {', '.join(parser.allowed)} (kept, not used)"
            self._flag(
                "warning", f"{name}:unknown", message, name, odd, first_row, batch.column(name)
            )
        return found

    def _flagger(self, first_row: int) -> Flag:
        """`_flag` for this batch, as the row checks call it."""

        def flag(
            severity: Severity, code: str, message: str, column: str, rows: IntArray, *,
            values: pa.Array | pa.ChunkedArray | None = None,
        ) -> None:  # fmt: skip
            self._flag(severity, code, message, column, rows, first_row, values)

        return flag

    def _flag(
        self,
        severity: Severity,
        code: str,
        message: str,
        column: str,
        rows: IntArray,
        first_row: int,
        values: pa.Array | pa.ChunkedArray | None = None,
    ) -> None:
        """Record rows (batch positions) as a finding with 1-based file row numbers."""
        if not rows.size:
            return
        examples = rows[: self.findings.max_examples]
        self.findings.add(
            severity,
            code,
            message,
            column=column,
            count=int(rows.size),
            rows=(examples + first_row + 1).tolist(),
            values=[] if values is None else values.take(pa.array(examples)).to_pylist(),
        )
