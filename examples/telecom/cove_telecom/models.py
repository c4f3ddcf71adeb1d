"""The telecom database as pydantic models: five tables keyed by id, in the same JSON layout as cove's other domains.

`TelecomDB.model_validate(data)` accepts a parsed `db.json` with exactly the tables `plans`, `addons`,
`users`, `lines` and `bills`. `Meta` is what cove keeps beside the tables (the sidecar). Validation is
strict: the tools work on the plain JSON, so a value only a lax parser would accept is a defect.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from domains.records import Address, CreditCard, Paypal, Record, UserName, lax


class LineStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class BillStatus(StrEnum):
    PAID = "paid"
    UNPAID = "unpaid"  # issued, not yet due
    OVERDUE = "overdue"  # past its due date and not paid


class SuspendReason(StrEnum):
    LOST_OR_STOLEN = "lost or stolen"
    TRAVEL = "travel"
    NON_PAYMENT = "non-payment"  # set by the billing department, never by an agent (policy)


class Plan(Record):
    """A monthly plan of the catalogue: a price and a data allowance in GB."""

    plan_id: str
    name: str
    monthly_price: float
    data_gb: int


class Addon(Record):
    """An extra a line can carry each month: a roaming pass, more data, a hotspot allowance."""

    addon_id: str
    name: str
    kind: Literal["roaming", "data", "hotspot", "calling"]
    monthly_price: float


PaymentMethod = Annotated[CreditCard | Paypal, Field(discriminator="source")]


class User(Record):
    """An account holder: who they are, how they pay, and the lines and bills of the account."""

    user_id: str
    name: UserName
    email: str
    address: Address
    payment_methods: dict[str, PaymentMethod]
    lines: list[str]
    bills: list[str]


class Suspension(Record):
    reason: SuspendReason = lax()
    days: int


class Line(Record):
    """A phone line of an account: its number, who uses it, the phone, the plan, its extras and usage."""

    line_id: str
    user_id: str
    phone_number: str
    holder: str  # the first name of the person who uses the line
    device: str
    plan_id: str
    addons: list[str]
    status: LineStatus = lax()
    suspension: Suspension | None = None
    data_used_gb: float


class BillPayment(Record):
    payment_method_id: str
    amount: float


class Bill(Record):
    """One month's bill of an account; a paid bill records how it was paid."""

    bill_id: str
    user_id: str
    period: str  # "2025-03"
    amount: float
    due_date: str  # "2025-04-15"
    status: BillStatus = lax()
    payment: BillPayment | None = None


class Meta(Record):
    """Provenance of a generated database (the sidecar)."""

    generator: str
    seed: int
    scale: float


class TelecomDB(Record):
    plans: dict[str, Plan]
    addons: dict[str, Addon]
    users: dict[str, User]
    lines: dict[str, Line]
    bills: dict[str, Bill]
