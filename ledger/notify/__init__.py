"""Notifications: who hears what (in-app and e-mail), reminders and escalation.

Imports the core; the core never imports it (it listens to ledger.signals).
"""
