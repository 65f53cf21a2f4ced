"""The service chassis: what every help desk service needs once, written once."""
