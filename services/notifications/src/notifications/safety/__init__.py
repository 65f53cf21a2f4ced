"""Loop safety of automatic mail (E4): no mail to robots or ourselves, the hard-bounce list, rate limits."""
