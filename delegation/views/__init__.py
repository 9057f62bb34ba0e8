"""Delegated admin pages, one module per feature so the two halves stay apart:

- `delegation.views.dap`: "Administer on behalf of" and removing DAP admin access;
- `delegation.views.partner_relationships`: the customer's Partner relationships page;
- `delegation.views.gdap`: GDAP requests and answers.

`delegation/urls.py` imports the modules it routes to."""
