"""SMS through Twilio: agents' replies to customers by SMS, and the numbers agents register for alerts."""
