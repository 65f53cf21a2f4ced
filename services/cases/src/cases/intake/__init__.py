"""Cases from outside (A2, A5): inbound mail (threading, followers, groups of mails) and SMS."""
