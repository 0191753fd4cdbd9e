"""E-mails to users: the messages, and their delivery by SMTP."""
