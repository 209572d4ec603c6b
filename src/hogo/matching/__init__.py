"""Record matching: normalise identifiers, tokenise them under a secret key, match and report."""
