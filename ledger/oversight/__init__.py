"""Oversight: dashboard, assessment, key-project pace board, weekly and monthly reports.

Reads issues only through selectors.visible_to; the core never imports it.
"""
