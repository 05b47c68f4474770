"""The webhooks: voice and SMS channels, the fallback, and the signature check."""
