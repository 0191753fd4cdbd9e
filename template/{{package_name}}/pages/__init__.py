"""The account pages the links in e-mails open, served by the application itself."""
