"""The admin of API clients and their secrets."""
