"""Backfills moved from sync.py to backfill.py: dead letters of backfill jobs written before name the
old job path, and a replay runs what the letter names."""

import frappe

OLD = "scoopjoy.connectors.shopify.sync.run_backfill"
NEW = "scoopjoy.connectors.shopify.backfill.run_backfill"


def execute():
	frappe.db.set_value("Integration Dead Letter", {"job": OLD}, "job", NEW, update_modified=False)
