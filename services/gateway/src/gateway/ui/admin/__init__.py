"""The admin console under /admin: pages of the gateway that call the owning service's RPCs, as the API does.

`common` holds what every area shares (the admin check, form parsing, errors next to fields, version
tokens); `crud` turns an `Area` (fields, columns, list and save calls) into list, create and edit pages;
areas that need more than that (mailboxes, API keys, the audit log...) have their own module.
"""
