"""`POST /inbound/email`: email answers to forwarded chat messages, posted by an email provider's inbound webhook."""
