"""Screenshot groups, one module per room: shoot(browser, *, base, out, login, watch)."""
