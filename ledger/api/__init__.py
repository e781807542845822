"""The JSON API: /api/v1/ for people's clients and registered systems (12345 work orders
in, signed webhooks out), on the same doors and rules as the screens."""
