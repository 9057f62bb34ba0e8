"""Delegated admin pages: the customer's Partner relationships, the partner's Administer on
behalf of, GDAP requests and answers."""
