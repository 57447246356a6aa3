"""The Frappe side of reliability: call logs, Error Log entries, alerts, dead letters and jobs.

Thin adapters from Frappe to the kernel (``scoopjoy.kernel``), which holds the policy.
"""
