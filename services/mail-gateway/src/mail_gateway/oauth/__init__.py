"""OAuth2 mailboxes: the consent flow, encrypted tokens, refresh before expiry, SASL XOAUTH2 (0224-0226)."""
