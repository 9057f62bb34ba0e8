"""Writes of delegated admin: `dap` (DAP: granting, removing, administering on behalf of) and
`gdap` (granular, time-bound roles)."""
