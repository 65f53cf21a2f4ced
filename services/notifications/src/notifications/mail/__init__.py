"""Mail to customers: confirmations, agent replies, status notices and sign-in links, threaded and loop-safe."""
