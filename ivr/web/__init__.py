"""What every webhook shares: the signature check, the turn's context, the on-call roster cache."""
