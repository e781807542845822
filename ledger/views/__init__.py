"""Thin views grouped by screen: each parses input, calls a selector, service or the
workflow, and renders."""
