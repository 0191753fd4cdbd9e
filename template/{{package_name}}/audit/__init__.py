"""The audit log: the security events of the accounts, kept in the audit_event table.

Sign-ins and refused ones, throttled requests, password changes and resets, changes of address,
sessions ended and accounts deleted, each with its time, user, client address and user agent,
for AUDIT_RETENTION_DAYS. Superusers read it at GET /audit/events, and the command line with
`audit list`.
"""
