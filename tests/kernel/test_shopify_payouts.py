"""Shopify Payments payouts: the simulator over real HTTP, and the booking rules on generated payouts.

Invariants of :func:`payout_rows` (checked on payouts Hypothesis draws: any mix of charges,
refunds, disputes and adjustments, awkward cents, fees, withdrawals, payout currencies and rates):

- in one currency, the rows balance to the cent without an exchange row: the bank gets the payout's
  net, the fees account every fee, the clearing account loses exactly what the Payment Entries put
  there for the payout's charges and refunds;
- in another currency, what the rows leave (the exchange difference) is what the rates explain: the
  charges and refunds at the payout's rate against their booked rate, within a cent per row;
- a charge or refund without its Payment Entry, or booked at another amount, is never booked: the
  refusal names each one.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import requests
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from scoopjoy.connectors.shopify import queries as Q
from scoopjoy.connectors.shopify.booking import cents
from scoopjoy.connectors.shopify.payout_booking import (
	BalanceLine,
	Booked,
	Payout,
	PayoutNotBooked,
	payout_rows,
)
from scoopjoy.tests.simulators.shopify import ShopifySimulator

TOKEN = "shpat_payouts"
BIG = {"bucket_size": 1_000_000.0, "restore_rate": 1_000_000.0}


@pytest.fixture
def sim():
	with ShopifySimulator(TOKEN, currency="HKD", **BIG) as server:
		yield server


def gql(sim, query, variables=None):
	response = requests.post(
		sim.graphql_url,
		json={"query": query, "variables": variables or {}},
		headers={"X-Shopify-Access-Token": TOKEN},
		timeout=10,
	)
	assert response.status_code == 200, response.text
	return response.json()


def account(sim, query, variables):
	body = gql(sim, query, variables)
	assert "errors" not in body, body
	return body["data"]["shopifyPaymentsAccount"]


def paid_order(sim, price="100.00", gateway="shopify_payments"):
	order = sim.add_order(lines=[{"price": price, "quantity": 1}], shipping_lines=[])
	sim.add_transaction(order["id"], "SALE", gateway=gateway)
	return order


# --- the simulator ------------------------------------------------------------------------------


def test_card_charges_and_refunds_are_balance_transactions_with_their_fees(sim):
	order = paid_order(sim)
	paid_order(sim, gateway="manual")  # not Shopify Payments: not in the balance
	sim.refund(order["id"], amount=Decimal("40.00"))
	nodes = account(sim, Q.BALANCE_TRANSACTIONS_PAGE, {"first": 10, "query": "payout_status:PENDING"})[
		"balanceTransactions"
	]["nodes"]
	assert [(n["type"], n["amount"]["amount"], n["fee"]["amount"], n["net"]["amount"]) for n in nodes] == [
		("CHARGE", "100.0", "3.2", "96.8"),  # 2.9 % + 0.30
		("REFUND", "-40.0", "0.0", "-40.0"),
	]
	assert {n["associatedOrder"]["name"] for n in nodes} == {order["name"]}
	assert all(n["associatedPayout"] == {"id": None, "status": "PENDING"} for n in nodes)
	assert str(nodes[0]["sourceOrderTransactionId"]) == order["transactions"][0]["id"].rsplit("/", 1)[1]


def test_a_payout_takes_every_pending_transaction_and_its_transfer_is_hidden(sim):
	paid_order(sim, "100.00")
	second = paid_order(sim, "50.00")
	sim.add_dispute(second["id"], fee="15.00")
	payout = sim.pay_out()
	paid_order(sim, "20.00")  # after the payout: the next one's
	payouts = account(sim, Q.PAYOUTS_PAGE, {"first": 5, "query": "status:PAID"})["payouts"]["nodes"]
	assert [(p["legacyResourceId"], p["net"]["amount"], p["transactionType"]) for p in payouts] == [
		(payout["legacyResourceId"], "80.05", "DEPOSIT")  # 96.80 + 48.25 - 50.00 - 15.00
	]
	lines = account(
		sim,
		Q.BALANCE_TRANSACTIONS_PAGE,
		{"first": 10, "query": f"payments_transfer_id:{payout['legacyResourceId']}"},
	)["balanceTransactions"]["nodes"]
	assert sorted(n["type"] for n in lines) == ["CHARGE", "CHARGE", "CHARGEBACK_FEE", "DISPUTE_WITHDRAWAL"]
	assert {n["sourceType"] for n in lines if n["type"] != "CHARGE"} == {"DISPUTE"}
	assert sum(Decimal(n["net"]["amount"]) for n in lines) == Decimal("80.05")
	assert {n["associatedPayout"]["status"] for n in lines} == {"PAID"}
	assert sim.payments_balance() == Decimal("19.12")  # the last charge, net of its fee


def test_a_failed_payout_keeps_its_transactions_and_its_money_comes_back_with_the_next(sim):
	paid_order(sim, "10.00")
	failed = sim.pay_out(status="SCHEDULED")
	sim.set_payout_status(failed, "FAILED")
	paid_order(sim, "20.00")
	retried = sim.pay_out()
	assert Decimal(retried["net"]["amount"]) == Decimal("9.41") + Decimal("19.12")
	statuses = account(sim, Q.PAYOUTS_PAGE, {"first": 5, "query": None})["payouts"]["nodes"]
	assert [p["status"] for p in statuses] == ["FAILED", "PAID"]
	kept = account(
		sim,
		Q.BALANCE_TRANSACTIONS_PAGE,
		{"first": 5, "query": f"payments_transfer_id:{failed['legacyResourceId']}"},
	)["balanceTransactions"]["nodes"]
	assert [(n["type"], n["associatedPayout"]["status"]) for n in kept] == [("CHARGE", "FAILED")]
	again = account(
		sim,
		Q.BALANCE_TRANSACTIONS_PAGE,
		{"first": 5, "query": f"payments_transfer_id:{retried['legacyResourceId']}"},
	)["balanceTransactions"]["nodes"]
	[back] = [n for n in again if n["type"] == "TRANSFER_FAILURE"]
	assert (back["amount"]["amount"], str(back["sourceId"])) == ("9.41", failed["legacyResourceId"])
	assert sim.payments_balance() == Decimal("0.00")
	with pytest.raises(ValueError):
		sim.set_payout_status(failed, "PAID")


def test_payouts_in_another_currency_convert_each_transaction(sim):
	sim.use_payout_currency("USD", "0.1281")
	paid_order(sim, "100.00")  # HKD 100.00 -> USD 12.81, fee 0.37 + 0.30
	payout = sim.pay_out()
	assert payout["net"] == {"amount": "12.14", "currencyCode": "USD"}


def test_without_the_payouts_scope_or_shopify_payments(sim):
	sim.access_scopes = ("read_orders",)
	body = gql(sim, Q.PAYOUTS_PAGE, {"first": 1})
	assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
	sim.access_scopes = ("read_shopify_payments_payouts",)
	sim.payments_activated = False
	assert gql(sim, Q.PAYOUTS_PAGE, {"first": 1})["data"]["shopifyPaymentsAccount"] is None


# --- the booking rules --------------------------------------------------------------------------

AMOUNTS = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)


@st.composite
def balance_lines(draw, start: int = 1000):
	lines = []
	for n in range(start, start + draw(st.integers(min_value=1, max_value=12))):
		kind = draw(
			st.sampled_from(
				("CHARGE", "CHARGE", "REFUND", "DISPUTE_WITHDRAWAL", "CHARGEBACK_FEE", "ADJUSTMENT")
			)
		)
		amount = draw(AMOUNTS)
		if kind in ("REFUND", "DISPUTE_WITHDRAWAL", "CHARGEBACK_FEE") or (
			kind == "ADJUSTMENT" and draw(st.booleans())
		):
			amount = -amount
		fee = cents(amount * Decimal("0.029") + Decimal("0.30")) if kind == "CHARGE" else Decimal("0.00")
		lines.append(
			BalanceLine(
				transaction_id=str(n),
				type=kind,
				amount=amount,
				fee=fee,
				net=amount - fee,
				order_transaction_id=str(n) if kind in ("CHARGE", "REFUND") else None,
				order_name=f"#{n}",
				source_type="DISPUTE" if kind in ("DISPUTE_WITHDRAWAL", "CHARGEBACK_FEE") else None,
			)
		)
	return lines


def failed_payout(lines, payout_id="55"):
	"""A TRANSFER_FAILURE line paying ``lines`` (a failed payout's) out again."""
	net = sum((line.net for line in lines), Decimal(0))
	return BalanceLine("F", "TRANSFER_FAILURE", net, Decimal(0), net, None, None, None, "TRANSFER", payout_id)


def payout_of(lines, currency="USD"):
	return Payout(
		"77", "2026-12-01T00:00:00Z", "PAID", sum((line.net for line in lines), Decimal(0)), currency
	)


def exact(lines, rate=Decimal(1)):
	return {
		line.order_transaction_id: Booked(line.amount, cents(line.amount * rate))
		for line in lines
		if line.order_transaction_id
	}


def base(rows):
	return sum((cents(row.amount * row.rate) for row in rows), Decimal(0))


PROPERTY = settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@seed(25)
@PROPERTY
@given(lines=balance_lines(), failed=st.one_of(st.none(), balance_lines(start=5000)))
def test_one_currency_balances_without_an_exchange_row(lines, failed):
	"""``failed``: a failed payout's transactions, paid out again in this one (TRANSFER_FAILURE)."""
	every = lines + (failed or [])
	paid = lines + ([failed_payout(failed)] if failed else [])
	payout = payout_of(paid)
	rows = payout_rows(
		payout,
		paid,
		exact(every),
		rate=Decimal(1),
		clearing_currency="USD",
		company_currency="USD",
		returned={"55": failed} if failed else None,
	)
	by_role = {row.role: row.amount for row in rows}
	assert base(rows) == 0
	assert by_role["bank"] == payout.net
	fees = sum((line.fee for line in every), Decimal(0)) - sum(
		(line.amount for line in every if line.type == "CHARGEBACK_FEE"), Decimal(0)
	)
	assert by_role.get("fees", Decimal(0)) == fees
	assert by_role.get("clearing", Decimal(0)) == -sum(
		(line.amount for line in every if line.type in ("CHARGE", "REFUND")), Decimal(0)
	)
	assert by_role.get("chargebacks", Decimal(0)) == -sum(
		(line.amount for line in every if line.type == "DISPUTE_WITHDRAWAL"), Decimal(0)
	)


@seed(2525)
@PROPERTY
@given(
	lines=balance_lines(),
	rate=st.sampled_from((Decimal("7.8123"), Decimal("0.1281"), Decimal("1.0537"))),
	drift=st.sampled_from(
		(Decimal("-0.04"), Decimal("-0.0031"), Decimal("0"), Decimal("0.012"), Decimal("0.049"))
	),
	clearing_in_payout_currency=st.booleans(),
)
def test_another_currency_leaves_only_what_the_rates_explain(lines, rate, drift, clearing_in_payout_currency):
	booked_rate = rate * (1 + drift)  # the rate moved between the sale and the payout
	payout = payout_of(lines, "HKD")
	rows = payout_rows(
		payout,
		lines,
		exact(lines, booked_rate),
		rate=rate,
		clearing_currency="HKD" if clearing_in_payout_currency else "USD",
		company_currency="USD",
	)
	order_money = [line for line in lines if line.type in ("CHARGE", "REFUND")]
	explained = sum((line.amount * (rate - booked_rate) for line in order_money), Decimal(0))
	# the exchange row the ledger adds (+ debit: a loss) is minus what the rows leave; money paid out
	# at a better rate than it was booked at is a gain (a credit)
	exchange = -base(rows)
	assert abs(exchange + explained) <= Decimal("0.01") * (len(lines) + 3)


def test_a_charge_without_its_payment_entry_or_booked_differently_is_named():
	lines = [
		BalanceLine("1", "CHARGE", Decimal("10.00"), Decimal("0.59"), Decimal("9.41"), "501", "#1001"),
		BalanceLine("2", "CHARGE", Decimal("20.00"), Decimal("0.88"), Decimal("19.12"), "502", "#1002"),
	]
	booked = {"502": Booked(Decimal("19.99"), Decimal("19.99"))}
	with pytest.raises(PayoutNotBooked) as refused:
		payout_rows(
			payout_of(lines), lines, booked, rate=Decimal(1), clearing_currency="USD", company_currency="USD"
		)
	message = str(refused.value)
	assert "charge 10.00 of order #1001 (transaction 501) has no Payment Entry" in message
	assert "charge 20.00 of order #1002 (transaction 502) was booked as 19.99 USD, not 20.00" in message


def test_transactions_that_miss_the_payout_net_are_refused():
	lines = [BalanceLine("1", "CHARGE", Decimal("10.00"), Decimal("0.59"), Decimal("9.41"), "501", "#1001")]
	payout = Payout("9", "2026-12-01T00:00:00Z", "PAID", Decimal("9.40"), "USD")
	with pytest.raises(PayoutNotBooked, match=re.escape("come to 9.41 USD but the payout is 9.40 USD")):
		payout_rows(
			payout, lines, exact(lines), rate=Decimal(1), clearing_currency="USD", company_currency="USD"
		)


def test_a_charge_booked_far_from_the_payouts_rate_is_named_not_put_on_exchange():
	lines = [BalanceLine("1", "CHARGE", Decimal("100.00"), Decimal("3.20"), Decimal("96.80"), "501", "#1001")]
	booked = {"501": Booked(Decimal("60.00"), Decimal("60.00"))}  # a partial Payment Entry, in USD
	with pytest.raises(PayoutNotBooked, match=re.escape("far from 110.00 at the payout's rate")):
		payout_rows(
			payout_of(lines, "EUR"),
			lines,
			booked,
			rate=Decimal("1.1"),
			clearing_currency="USD",
			company_currency="USD",
		)


def test_a_failed_payouts_money_that_does_not_match_its_transactions_is_refused():
	failed = [BalanceLine("1", "CHARGE", Decimal("10.00"), Decimal("0.59"), Decimal("9.41"), "501", "#1001")]
	back = BalanceLine(
		"F",
		"TRANSFER_FAILURE",
		Decimal("9.40"),
		Decimal(0),
		Decimal("9.40"),
		None,
		None,
		None,
		"TRANSFER",
		"55",
	)
	with pytest.raises(PayoutNotBooked, match=re.escape("the money of failed payout 55")):
		payout_rows(
			payout_of([back]),
			[back],
			exact(failed),
			rate=Decimal(1),
			clearing_currency="USD",
			company_currency="USD",
			returned={"55": failed},
		)
