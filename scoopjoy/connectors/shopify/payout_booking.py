"""What a Shopify Payments payout books, as rows of one bank Journal Entry. Pure: no frappe.

A payout (https://shopify.dev/docs/api/admin-graphql/latest/objects/ShopifyPaymentsPayout) pays out
the balance transactions it holds
(https://shopify.dev/docs/api/admin-graphql/latest/objects/ShopifyPaymentsBalanceTransaction), each
``amount`` (gross, signed) less its ``fee`` = ``net``. The connector booked every charge and
refund when its order transaction happened, as a Payment Entry on the *clearing* account (the
account Payment Methods maps ``shopify_payments`` to). The payout empties the clearing account of
what it pays out and books what Shopify kept:

- **clearing**: minus what the order transactions put there (their Payment Entries' own amounts);
- **fees**: every transaction's fee, on the processing fees account;
- **chargebacks**: what a dispute took back (its fee is a fee);
- **adjustments**: adjustments and anything else that is not an order's charge or refund;
- **bank**: the payout's net, in the payout's currency;
- **exchange**: only when the payout's currency is not the company's: what the rates leave.

Nothing is booked on a guess: a charge or refund without its Payment Entry, a Payment Entry whose
amount is not what Shopify paid out, or transactions that do not come to the payout's net stop the
payout with the reason (a dead letter), and nothing is booked for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from scoopjoy.connectors.shopify.booking import ZERO, cents
from scoopjoy.connectors.shopify.mapping import legacy_id

#: balance transactions that are an order's money and must match its booked Payment Entry
ORDER_MONEY_TYPES = ("CHARGE", "REFUND")
CHARGEBACK_TYPES = ("DISPUTE",)
ROLES = ("bank", "clearing", "fees", "chargebacks", "adjustments")


def _amount(money: Mapping | None) -> Decimal:
	value = (money or {}).get("amount")
	return Decimal(str(value)) if value not in (None, "") else ZERO


@dataclass(frozen=True)
class Payout:
	payout_id: str  # legacy id
	issued_at: str
	status: str
	net: Decimal  # signed: negative for a WITHDRAWAL (the balance owed Shopify)
	currency: str

	@classmethod
	def from_node(cls, node: Mapping) -> Payout:
		net = _amount(node.get("net"))
		if node.get("transactionType") == "WITHDRAWAL":
			net = -abs(net)
		return cls(
			payout_id=str(node.get("legacyResourceId") or legacy_id(node["id"])),
			issued_at=node.get("issuedAt") or "",
			status=node.get("status") or "",
			net=net,
			currency=(node.get("net") or {}).get("currencyCode") or "",
		)


@dataclass(frozen=True)
class BalanceLine:
	transaction_id: str  # legacy id of the balance transaction
	type: str
	amount: Decimal  # gross, signed (payout currency)
	fee: Decimal
	net: Decimal
	order_transaction_id: str | None  # legacy id of the OrderTransaction it came from
	order_name: str | None
	reason: str | None = None

	@classmethod
	def from_node(cls, node: Mapping) -> BalanceLine:
		source = node.get("sourceOrderTransactionId")
		return cls(
			transaction_id=legacy_id(node["id"]),
			type=node.get("type") or "",
			amount=_amount(node.get("amount")),
			fee=_amount(node.get("fee")),
			net=_amount(node.get("net")),
			order_transaction_id=str(source) if source not in (None, "") else None,
			order_name=(node.get("associatedOrder") or {}).get("name"),
			reason=node.get("adjustmentReason"),
		)

	@property
	def label(self) -> str:
		what = f"{self.type.lower()} {self.amount}"
		return f"{what} of order {self.order_name}" if self.order_name else what


@dataclass(frozen=True)
class Booked:
	"""What an order transaction's Payment Entry put on the clearing account (+ debit)."""

	amount: Decimal  # in the clearing account's currency
	base: Decimal  # in the company's currency


@dataclass(frozen=True)
class PayoutRow:
	role: str  # one of ROLES
	amount: Decimal  # + debit, - credit, in the account's currency
	rate: Decimal  # the account currency's rate to the company's (1: the company's currency)
	remark: str


class PayoutNotBooked(ValueError):
	"""A payout whose transactions cannot all be matched or do not add up: nothing is booked."""


def payout_rows(
	payout: Payout,
	lines: Iterable[BalanceLine],
	booked: Mapping[str, Booked],
	*,
	rate: Decimal,
	clearing_currency: str,
	company_currency: str,
) -> list[PayoutRow]:
	"""The rows of the payout's Journal Entry, without the exchange row (the Frappe layer adds what
	the rounded company amounts leave, and only when a currency differs). ``booked``: the Payment
	Entry of each order transaction (legacy id); ``rate``: payout currency -> company currency."""
	lines = list(lines)
	total = sum((line.net for line in lines), ZERO)
	if total != payout.net:
		raise PayoutNotBooked(
			f"Shopify payout {payout.payout_id}: its {len(lines)} balance transactions come to {total} "
			f"{payout.currency} but the payout is {payout.net} {payout.currency}."
		)
	problems, clearing, clearing_base = [], ZERO, ZERO
	for line in lines:
		if line.type not in ORDER_MONEY_TYPES:
			continue
		entry = booked.get(line.order_transaction_id or "")
		if entry is None:
			problems.append(
				f"{line.label} (transaction {line.order_transaction_id}) has no Payment Entry: import the "
				"order first (Shopify Sync Console)"
			)
		elif clearing_currency == payout.currency and entry.amount != line.amount:
			problems.append(
				f"{line.label} (transaction {line.order_transaction_id}) was booked as {entry.amount} "
				f"{clearing_currency}, not {line.amount}"
			)
		else:
			clearing += entry.amount
			clearing_base += entry.base
	if problems:
		raise PayoutNotBooked(
			f"Shopify payout {payout.payout_id} of {payout.net} {payout.currency} was not booked: "
			+ "; ".join(problems)
			+ "."
		)
	fees = sum((line.fee for line in lines), ZERO)
	chargebacks = [line for line in lines if line.type in CHARGEBACK_TYPES]
	others = [
		line for line in lines if line.type not in ORDER_MONEY_TYPES and line.type not in CHARGEBACK_TYPES
	]
	same = payout.currency == company_currency
	rows = [PayoutRow("bank", payout.net, Decimal(1) if same else rate, f"Shopify payout {payout.payout_id}")]
	if clearing_currency == company_currency:
		rows.append(PayoutRow("clearing", -clearing_base, Decimal(1), "Charges and refunds paid out"))
	elif clearing:
		rows.append(
			PayoutRow("clearing", -clearing, clearing_base / clearing, "Charges and refunds paid out")
		)
	if fees:
		rows.append(PayoutRow("fees", cents(fees * rate), Decimal(1), "Shopify Payments fees"))
	if chargebacks:
		rows.append(
			PayoutRow(
				"chargebacks",
				-cents(sum((line.amount for line in chargebacks), ZERO) * rate),
				Decimal(1),
				"Chargebacks: " + ", ".join(line.label for line in chargebacks),
			)
		)
	if others:
		rows.append(
			PayoutRow(
				"adjustments",
				-cents(sum((line.amount for line in others), ZERO) * rate),
				Decimal(1),
				"Adjustments: " + ", ".join(f"{line.label} {line.reason or ''}".strip() for line in others),
			)
		)
	return [row for row in rows if row.amount or row.role == "bank"]
