"""What a Shopify Payments payout books, as rows of one bank Journal Entry. Pure: no frappe.

A payout (https://shopify.dev/docs/api/admin-graphql/latest/objects/ShopifyPaymentsPayout) pays out
the balance transactions it holds
(https://shopify.dev/docs/api/admin-graphql/latest/objects/ShopifyPaymentsBalanceTransaction), each
``amount`` (gross, signed) less its ``fee`` = ``net``. The connector booked every charge and
refund when its order transaction happened, as a Payment Entry on the *clearing* account (the
account Payment Methods maps ``shopify_payments`` to). The payout empties the clearing account of
what it pays out and books what Shopify kept:

- **clearing**: minus what the order transactions put there (their Payment Entries' own amounts);
- **fees**: every transaction's fee and the chargeback fees (``CHARGEBACK_FEE``), on the processing
  fees account;
- **chargebacks**: what disputes took back or gave back (``sourceType`` DISPUTE: DISPUTE_WITHDRAWAL,
  DISPUTE_REVERSAL, CHARGEBACK_HOLD ...);
- **a failed payout's money paid out again** (``TRANSFER_FAILURE``, ``TRANSFER_CANCEL``): the failed
  payout's own transactions, booked as if they were this payout's (its Journal Entry, if it was ever
  booked as PAID, is reversed when Shopify says it failed);
- **adjustments**: adjustments, reserves and anything else that is not an order's charge or refund;
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

from scoopjoy.connectors.shopify.booking import CENT, ZERO, cents
from scoopjoy.connectors.shopify.mapping import legacy_id

#: balance transactions that are an order's money and must match its booked Payment Entry
ORDER_MONEY_TYPES = ("CHARGE", "REFUND")
#: a failed (cancelled) payout's net back in the balance
RETURNED_PAYOUT_TYPES = ("TRANSFER_FAILURE", "TRANSFER_CANCEL")
#: the payout itself (hidden from the payout's own transactions)
TRANSFER_TYPE = "TRANSFER"
FEE_TYPES = ("CHARGEBACK_FEE",)
ROLES = ("bank", "clearing", "fees", "chargebacks", "adjustments")
#: how far the company amount of a charge booked in the company's money may be from the payout's
#: amount at the payout's rate (the rate moved between the sale and the payout); beyond it the
#: Payment Entry is not the charge's
RATE_MOVE = Decimal("0.05")


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
	source_type: str | None = None
	source_id: str | None = None  # a TRANSFER_FAILURE's: the failed payout's legacy id

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
			source_type=node.get("sourceType"),
			source_id=str(node["sourceId"]) if node.get("sourceId") not in (None, "") else None,
		)

	@property
	def role(self) -> str:
		"""Where the line books: clearing, fees, chargebacks or adjustments (returned payouts are
		replaced by their own lines before this is asked)."""
		if self.type in ORDER_MONEY_TYPES:
			return "clearing"
		if self.type in FEE_TYPES:
			return "fees"
		if self.source_type == "DISPUTE" or self.type.startswith(("DISPUTE", "CHARGEBACK")):
			return "chargebacks"
		return "adjustments"

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
	returned: Mapping[str, list[BalanceLine]] | None = None,
) -> list[PayoutRow]:
	"""The rows of the payout's Journal Entry, without the exchange row (the Frappe layer adds what
	the rounded company amounts leave, and only when a currency differs). ``booked``: the Payment
	Entry of each order transaction (legacy id); ``rate``: payout currency -> company currency;
	``returned``: the transactions of each failed payout whose money this payout pays again."""
	lines = list(lines)
	total = sum((line.net for line in lines), ZERO)
	if total != payout.net:
		raise PayoutNotBooked(
			f"Shopify payout {payout.payout_id}: its {len(lines)} balance transactions come to {total} "
			f"{payout.currency} but the payout is {payout.net} {payout.currency}."
		)
	problems = []
	own: list[BalanceLine] = []
	for line in lines:
		if line.type not in RETURNED_PAYOUT_TYPES:
			own.append(line)
			continue
		again = [t for t in (returned or {}).get(line.source_id or "", []) if t.type != TRANSFER_TYPE]
		if sum((t.net for t in again), ZERO) != line.amount:
			problems.append(
				f"the money of failed payout {line.source_id} ({line.amount}) does not match its transactions"
			)
		own.extend(again)
	clearing, clearing_base = ZERO, ZERO
	for line in own:
		if line.role != "clearing":
			continue
		entry = booked.get(line.order_transaction_id or "")
		at_rate = line.amount * rate
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
		elif (
			clearing_currency != payout.currency
			and abs(entry.base - at_rate) > abs(at_rate) * RATE_MOVE + CENT
		):
			problems.append(
				f"{line.label} (transaction {line.order_transaction_id}) was booked as {entry.base} "
				f"{company_currency}, far from {cents(at_rate)} at the payout's rate"
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
	same = payout.currency == company_currency
	rows = [PayoutRow("bank", payout.net, Decimal(1) if same else rate, f"Shopify payout {payout.payout_id}")]
	if clearing_currency == company_currency:
		rows.append(PayoutRow("clearing", -clearing_base, Decimal(1), "Charges and refunds paid out"))
	elif clearing:
		rows.append(
			PayoutRow("clearing", -clearing, clearing_base / clearing, "Charges and refunds paid out")
		)
	fees = sum((line.fee for line in own), ZERO) - sum(
		(line.amount for line in own if line.role == "fees"), ZERO
	)
	if fees:
		rows.append(PayoutRow("fees", cents(fees * rate), Decimal(1), "Shopify Payments fees"))
	for role, title in (("chargebacks", "Chargebacks"), ("adjustments", "Adjustments")):
		mine = [line for line in own if line.role == role]
		if mine:
			rows.append(
				PayoutRow(
					role,
					-cents(sum((line.amount for line in mine), ZERO) * rate),
					Decimal(1),
					f"{title}: " + ", ".join(f"{line.label} {line.reason or ''}".strip() for line in mine),
				)
			)
	return [row for row in rows if row.amount or row.role == "bank"]
