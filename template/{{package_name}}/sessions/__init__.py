"""Sessions: a sign-in per device, its refresh tokens, and how it is listed and ended."""
