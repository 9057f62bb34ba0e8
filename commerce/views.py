"""Commerce pages: subscriptions, orders and billing."""
