"""Excel in and out: ledger export, ledger and master-data import.

Writes issues only through the workflow; imports the core, the core never imports it.
"""
