"""The one way in: validate, assign ids, deduplicate on an idempotency key, append to the warehouse."""
