"""Shopify Payments of the simulator: balance transactions, payouts, fees, disputes, adjustments.

Written from the GraphQL Admin reference:

- ``QueryRoot.shopifyPaymentsAccount``
  (https://shopify.dev/docs/api/admin-graphql/latest/queries/shopifyPaymentsAccount): null when the
  shop does not use Shopify Payments; needs the ``read_shopify_payments_payouts`` scope.
- ``ShopifyPaymentsAccount.payouts`` and ``balanceTransactions``
  (https://shopify.dev/docs/api/admin-graphql/latest/objects/ShopifyPaymentsAccount), their sort keys
  (``PayoutSortKeys``, ``BalanceTransactionSortKeys``) and ``query`` filters (payouts: ``status``,
  ``issued_at``, ``id``; balance transactions: ``payments_transfer_id`` (the payout's legacy id),
  ``payout_status``, ``processed_at``, ``transaction_type``), and ``hideTransfers``.
- ``ShopifyPaymentsPayout`` (https://shopify.dev/docs/api/admin-graphql/latest/objects/ShopifyPaymentsPayout):
  ``net``, ``issuedAt``, ``status`` (SCHEDULED, then PAID, FAILED or CANCELED; IN_TRANSIT is
  deprecated), ``transactionType`` (DEPOSIT, or WITHDRAWAL when the balance owes Shopify), and its
  ``summary`` (https://shopify.dev/docs/api/admin-graphql/latest/objects/ShopifyPaymentsPayoutSummary):
  gross and fees per kind (charges, refunds, adjustments including disputes, reserved funds).
- ``ShopifyPaymentsBalanceTransaction``
  (https://shopify.dev/docs/api/admin-graphql/latest/objects/ShopifyPaymentsBalanceTransaction):
  ``amount`` (gross, signed), ``fee``, ``net`` = amount - fee, ``type``, ``sourceType``,
  ``sourceOrderTransactionId`` (the OrderTransaction it came from), ``associatedOrder`` and
  ``associatedPayout { id status }`` (PENDING until a payout takes it). A payout is itself a
  TRANSFER balance transaction of minus its net, as in the documentation's example response.

What is modelled: every successful SALE or CAPTURE through ``shopify_payments`` is a CHARGE, every
REFUND through it a REFUND (negative, no fee), each in the payout currency (the shop's, or
``payout_currency`` at ``payout_rate`` per shop unit) with a fee of ``fee_rate`` x amount +
``fee_fixed`` on charges; :meth:`add_dispute` (a chargeback: the amount taken back and a dispute
fee: a DISPUTE_WITHDRAWAL and a CHARGEBACK_FEE, both of ``sourceType`` DISPUTE, as the
``ShopifyPaymentsTransactionType`` enum names them) and :meth:`add_balance_adjustment`.
:meth:`pay_out` puts every pending transaction in a new payout; :meth:`set_payout_status` moves it
on (SCHEDULED to PAID, FAILED or CANCELED; a PAID payout can still fail days later). A failed or
cancelled payout keeps its transactions (their ``associatedPayout.status`` says FAILED) and its
money comes back to the balance as a TRANSFER_FAILURE (TRANSFER_CANCEL) transaction of its net,
paid out with the next payout (``summary.retriedPayoutsGross``; Shopify: "the funds are returned to
your Shopify balance"). Not modelled: reserves, advances, instant payouts, payouts per currency of a
multi-currency balance, dispute evidence and reversals.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from scoopjoy.tests.simulators.shopify.amounts import _dec, cents, shopify_decimal
from scoopjoy.tests.simulators.shopify.common import gid, parse_gid, to_iso

PAYOUTS_SCOPE = "read_shopify_payments_payouts"
PAYOUT_STATUSES = ("SCHEDULED", "PAID", "FAILED", "CANCELED")
#: which summary fields a balance transaction type adds to (gross, fee)
SUMMARY_FIELDS = {
	"CHARGE": ("chargesGross", "chargesFee"),
	"REFUND": ("refundsFeeGross", "refundsFee"),
	"DISPUTE_WITHDRAWAL": ("adjustmentsGross", "adjustmentsFee"),
	"CHARGEBACK_FEE": ("adjustmentsGross", "adjustmentsFee"),
	"ADJUSTMENT": ("adjustmentsGross", "adjustmentsFee"),
	"TRANSFER_FAILURE": ("retriedPayoutsGross", "retriedPayoutsFee"),
	"TRANSFER_CANCEL": ("retriedPayoutsGross", "retriedPayoutsFee"),
	"RESERVED_FUNDS": ("reservedFundsGross", "reservedFundsFee"),
}
SUMMARY_KEYS = (
	"adjustmentsFee",
	"adjustmentsGross",
	"chargesFee",
	"chargesGross",
	"refundsFee",
	"refundsFeeGross",
	"reservedFundsFee",
	"reservedFundsGross",
	"retriedPayoutsFee",
	"retriedPayoutsGross",
)


class PayoutsMixin:
	"""Of :class:`~.server.ShopifySimulator`: the Shopify Payments account of the shop."""

	PAYOUT_FIELDS: Mapping[str, tuple[str, Any]] = {
		"status": ("text", lambda p: p["status"]),
		"issued_at": ("date", lambda p: p["issuedAt"]),
		"id": ("int", lambda p: p["_n"]),
	}
	PAYOUT_SORT: Mapping[str, Any] = {
		"ID": lambda p: p["_n"],
		"ISSUED_AT": lambda p: p["issuedAt"],
		"STATUS": lambda p: p["status"],
		"AMOUNT": lambda p: Decimal(p["_net"]),
	}
	BALANCE_FIELDS: Mapping[str, tuple[str, Any]] = {
		"payments_transfer_id": ("int", lambda t: t["_payout"]),
		"payout_status": ("text", lambda t: t["associatedPayout"]["status"]),
		"processed_at": ("date", lambda t: t["transactionDate"]),
		"transaction_type": ("text", lambda t: t["type"]),
		"id": ("int", lambda t: t["_n"]),
	}
	BALANCE_SORT: Mapping[str, Any] = {
		"ID": lambda t: t["_n"],
		"PROCESSED_AT": lambda t: t["transactionDate"],
		"AMOUNT": lambda t: Decimal(t["amount"]["amount"]),
		"FEE": lambda t: Decimal(t["fee"]["amount"]),
		"NET": lambda t: Decimal(t["net"]["amount"]),
		"PAYOUT_DATE": lambda t: t["transactionDate"],
	}

	def reset_payouts(self) -> None:
		self.payments_activated = True
		self.payout_currency: str | None = None  # None: the shop's currency
		self.payout_rate = Decimal(1)  # payout currency units per shop unit
		self.fee_rate = Decimal("0.029")
		self.fee_fixed = Decimal("0.30")
		self.balance_transactions: dict[int, dict] = {}
		self.payouts: dict[int, dict] = {}
		self._balance_sources: set[str] = set()

	def use_payout_currency(self, currency: str, rate: Any) -> None:
		"""Payouts (and the balance) in ``currency``: Shopify converts each transaction at ``rate``."""
		with self.lock:
			self.payout_currency = currency
			self.payout_rate = _dec(rate)

	# --- balance transactions -----------------------------------------------------------------------

	def _money(self, amount: Decimal) -> dict:
		return {"amount": shopify_decimal(amount), "currencyCode": self.payout_currency or self.currency}

	def _new_balance_transaction(
		self,
		kind: str,
		amount: Decimal,
		fee: Decimal,
		at: str,
		*,
		source_type: str | None = None,
		source_id: int | None = None,
		order: dict | None = None,
		transaction: dict | None = None,
		reason: str | None = None,
		test: bool = False,
	) -> dict:
		n = self._next_id("ShopifyPaymentsBalanceTransaction")
		record = {
			"__typename": "ShopifyPaymentsBalanceTransaction",
			"id": gid("ShopifyPaymentsBalanceTransaction", n),
			"_n": n,
			"_payout": None,
			"type": kind,
			"test": test,
			"amount": self._money(amount),
			"fee": self._money(fee),
			"net": self._money(amount - fee),
			"sourceType": source_type or kind,
			"sourceId": source_id,
			"sourceOrderTransactionId": parse_gid(transaction["id"]) if transaction else None,
			"associatedOrder": {"id": order["id"], "name": order["name"]} if order else None,
			"associatedPayout": {"id": None, "status": "PENDING"},
			"adjustmentReason": reason,
			"transactionDate": at,
		}
		self.balance_transactions[n] = record
		return record

	def _collect_balance(self) -> None:
		"""Turn the Shopify Payments transactions not seen yet into balance transactions."""
		for order in self.orders.values():
			for transaction in order["transactions"]:
				if (
					transaction["gateway"] != "shopify_payments"
					or transaction["status"] != "SUCCESS"
					or transaction["kind"] not in ("SALE", "CAPTURE", "REFUND")
					or transaction["id"] in self._balance_sources
				):
					continue
				self._balance_sources.add(transaction["id"])
				shop_amount = Decimal(transaction["amountSet"])
				amount = cents(shop_amount * self.payout_rate)
				if transaction["kind"] == "REFUND":
					amount, fee, kind = -amount, Decimal("0.00"), "REFUND"
				else:
					fee, kind = cents(amount * self.fee_rate + self.fee_fixed), "CHARGE"
				self._new_balance_transaction(
					kind,
					amount,
					fee,
					transaction["processedAt"],
					source_id=parse_gid(transaction["id"]),
					order=order,
					transaction=transaction,
					test=bool(transaction.get("test")),
				)

	def add_dispute(self, order_id: Any, amount: Any = None, fee: Any = "15.00", *, at: Any = None) -> dict:
		"""A chargeback on an order: ``amount`` (shop money; default what the order received) leaves
		the balance (DISPUTE_WITHDRAWAL) and so does the dispute ``fee`` (CHARGEBACK_FEE, payout
		currency). Returns the withdrawal."""
		with self.lock:
			self._collect_balance()
			order = self._find(self.orders, "Order", order_id)
			shop_amount = _dec(amount) if amount is not None else Decimal(order["totalReceivedSet"])
			stamp = to_iso(at) if at else self._now_iso()
			withdrawal = self._new_balance_transaction(
				"DISPUTE_WITHDRAWAL",
				-cents(shop_amount * self.payout_rate),
				Decimal("0.00"),
				stamp,
				source_type="DISPUTE",
				order=order,
			)
			if _dec(fee):
				self._new_balance_transaction(
					"CHARGEBACK_FEE",
					-cents(_dec(fee)),
					Decimal("0.00"),
					stamp,
					source_type="DISPUTE",
					order=order,
				)
			return withdrawal

	def add_balance_adjustment(
		self, amount: Any, reason: str = "Shopify adjustment", *, at: Any = None
	) -> dict:
		"""An ADJUSTMENT (payout currency; negative: taken from the balance)."""
		with self.lock:
			self._collect_balance()
			return self._new_balance_transaction(
				"ADJUSTMENT",
				cents(_dec(amount)),
				Decimal("0.00"),
				to_iso(at) if at else self._now_iso(),
				reason=reason,
			)

	# --- payouts ---------------------------------------------------------------------------------------

	def pay_out(self, *, at: Any = None, status: str = "PAID") -> dict:
		"""Every pending balance transaction into a new payout (``status`` SCHEDULED or PAID); the payout.
		Raises ValueError when nothing is pending (Shopify makes no empty payout)."""
		with self.lock:
			self._collect_balance()
			pending = [
				t
				for t in self.balance_transactions.values()
				if t["_payout"] is None and t["type"] != "TRANSFER"
			]
			if not pending:
				raise ValueError("no pending balance transactions to pay out")
			n = self._next_id("ShopifyPaymentsPayout")
			issued = to_iso(at) if at else self._now_iso()
			net = sum((Decimal(t["net"]["amount"]) for t in pending), Decimal("0.00"))
			summary = {key: Decimal("0.00") for key in SUMMARY_KEYS}
			for t in pending:
				gross_key, fee_key = SUMMARY_FIELDS.get(t["type"], SUMMARY_FIELDS["ADJUSTMENT"])
				summary[gross_key] += Decimal(t["amount"]["amount"])
				summary[fee_key] += Decimal(t["fee"]["amount"])
			payout = {
				"__typename": "ShopifyPaymentsPayout",
				"id": gid("ShopifyPaymentsPayout", n),
				"_n": n,
				"legacyResourceId": str(n),
				"issuedAt": issued,
				"_net": net,
				"net": self._money(abs(net)),
				"status": "SCHEDULED",
				"transactionType": "DEPOSIT" if net >= 0 else "WITHDRAWAL",
				"summary": {key: self._money(value) for key, value in summary.items()},
				"externalTraceId": None,
			}
			self.payouts[n] = payout
			for t in pending:
				t["_payout"] = n
			transfer = self._new_balance_transaction(
				"TRANSFER", -net, Decimal("0.00"), issued, source_id=n, source_type="TRANSFER"
			)
			transfer["_payout"] = n
			self._set_status(payout, "SCHEDULED")
			if status != "SCHEDULED":
				self._set_status(payout, status)
			return payout

	def set_payout_status(self, payout: Any, status: str) -> dict:
		"""Move a SCHEDULED payout to PAID, FAILED or CANCELED, or a PAID one to FAILED; returns it."""
		with self.lock:
			record = self._payout(payout)
			status = status.upper()
			if record["status"] != "SCHEDULED" and not (record["status"] == "PAID" and status == "FAILED"):
				raise ValueError(f"payout {record['id']} is {record['status']}: it cannot become {status}")
			self._set_status(record, status)
			if status in ("FAILED", "CANCELED"):  # the money goes back to the balance
				self._new_balance_transaction(
					"TRANSFER_FAILURE" if status == "FAILED" else "TRANSFER_CANCEL",
					record["_net"],
					Decimal("0.00"),
					self._now_iso(),
					source_type="TRANSFER",
					source_id=record["_n"],
				)
			return record

	def _payout(self, ref: Any) -> dict:
		n = parse_gid(ref["id"] if isinstance(ref, Mapping) else ref, "ShopifyPaymentsPayout")
		if n not in self.payouts:
			raise KeyError(f"no payout {ref!r}")
		return self.payouts[n]

	def _set_status(self, payout: dict, status: str) -> None:
		if status not in PAYOUT_STATUSES:
			raise ValueError(f"unknown payout status {status!r}")
		payout["status"] = status
		for t in self.balance_transactions.values():
			if t["_payout"] == payout["_n"]:
				t["associatedPayout"] = {"id": payout["id"], "status": status}

	def payments_balance(self) -> Decimal:
		"""What the balance holds: every transaction's net, the payouts' TRANSFERs (minus what they
		took) and their failures (what came back) included."""
		with self.lock:
			self._collect_balance()
			return sum(
				(Decimal(t["net"]["amount"]) for t in self.balance_transactions.values()), Decimal("0.00")
			)

	# --- GraphQL ---------------------------------------------------------------------------------------

	def payments_account(self) -> dict | None:
		with self.lock:
			self._collect_balance()
		if not self.payments_activated:
			return None
		return {
			"__typename": "ShopifyPaymentsAccount",
			"id": "gid://shopify/ShopifyPaymentsAccount/1",
			"activated": True,
			"balance": [self._money(self.payments_balance())],
		}

	def payout_records(self, query: str | None, ctx: Any) -> list[dict]:
		return self._filter(list(self.payouts.values()), query, self.PAYOUT_FIELDS, ctx, "payouts")

	def balance_records(self, query: str | None, hide_transfers: bool, ctx: Any) -> list[dict]:
		with self.lock:
			self._collect_balance()
			records = [
				t
				for t in self.balance_transactions.values()
				if not (hide_transfers and t["type"] == "TRANSFER")
			]
		return self._filter(records, query, self.BALANCE_FIELDS, ctx, "balanceTransactions")
