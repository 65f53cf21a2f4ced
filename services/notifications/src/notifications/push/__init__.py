"""Web Push to agents' browsers: the VAPID key, the browsers' subscriptions, sending one push."""
