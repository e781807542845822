"""The admin of webhook subscriptions and deliveries."""
