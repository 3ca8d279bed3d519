"""Confirmation codes patients read aloud, and manage tokens they never need to read."""

import hashlib
import hmac
import secrets

# Crockford base32: no I, L, O or U, so a code read over the phone cannot be misheard as another.
CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
CODE_LENGTH = 8  # 32**8, about 10**12 codes


def new_confirmation_code() -> str:
    return "".join(secrets.choice(CROCKFORD_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_confirmation_code(code: str) -> str:
    """What a patient typed, read the Crockford way: case, dashes and look-alike letters forgiven."""
    return code.strip().upper().replace("-", "").replace(" ", "").translate(_READ_AS)


def new_manage_token() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits


def hash_manage_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def manage_token_matches(token: str, token_hash: str | None) -> bool:
    return token_hash is not None and hmac.compare_digest(hash_manage_token(token), token_hash)
