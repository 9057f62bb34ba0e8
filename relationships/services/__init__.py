"""Writes: every relationships rule is enforced here, whichever door (page, admin, task) calls."""
