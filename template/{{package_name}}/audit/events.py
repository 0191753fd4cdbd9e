"""The kinds of event the audit log records."""

from enum import StrEnum


class AuditKind(StrEnum):
    """What happened to an account; each value is stored as it is in audit_event.kind."""

    # A sign-in with a password, or through an OAuth provider: a session began.
    login = "login"
    # A wrong password or an unknown address at login, or a wrong current password.
    login_failed = "login_failed"
    # A request refused by a throttle limit (429); the detail names the limit.
    throttled = "throttled"
    # A new password set by the user, a superuser or the command line.
    password_changed = "password_changed"
    # A new password set through the link of a reset e-mail.
    password_reset = "password_reset"
    # A change of address asked for: the link went to the new address.
    email_change_requested = "email_change_requested"
    # A change of address confirmed through the link: the account has the new address.
    email_changed = "email_changed"
    # One session ended: a logout, or a device signed out.
    session_ended = "session_ended"
    # Several sessions of a user ended at once.
    sessions_ended = "sessions_ended"
    # An account deleted, by its user or a superuser.
    account_deleted = "account_deleted"
