"""Voucher codes: 12 random characters and a check character, read aloud or typed on a phone.

The alphabet has 31 characters (a prime): Crockford's base 32 without Z, so no I, L, O or U
to confuse with 1 and 0 or to spell words. The check character makes the weighted sum
Σ (i + 1) × value(cᵢ) over the 13 characters ≡ 0 (mod 31). With a prime modulus and
weights 1 to 13 (distinct, none 0 mod 31, neighbours differing by 1), a single changed
character changes the sum by w × d ≢ 0, and two swapped neighbours by (wᵢ − wᵢ₊₁) × d = −d
≢ 0: every single substitution and every adjacent transposition is caught before any
lookup (tests/apps/pass_numerique: a property test). Random part: 31¹² ≈ 2⁵⁹ codes, drawn
with `secrets`."""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY"
VALUE = {c: i for i, c in enumerate(ALPHABET)}
BODY = 12
# What people type for what they read: Crockford's decoding (O is 0, I and L are 1).
READ_AS = {"O": "0", "I": "1", "L": "1"}


class CodeError(ValueError):
    """A code that cannot be one of ours (wrong length, character or check character)."""


def _check_value(body: str) -> int:
    total = sum((i + 1) * VALUE[c] for i, c in enumerate(body))
    weight = len(body) + 1
    # weight × check ≡ −total (mod 31): weight is invertible modulo a prime
    return (-total * pow(weight, -1, len(ALPHABET))) % len(ALPHABET)


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY))
    return body + ALPHABET[_check_value(body)]


def normalise(typed: str) -> str:
    """The code as stored, from what someone typed (spaces, dashes and case ignored); raises
    CodeError naming what is wrong."""
    code = "".join(READ_AS.get(c, c) for c in typed.upper() if c not in " -.\t")
    if len(code) != BODY + 1:
        raise CodeError(f"un code de chèque a {BODY + 1} caractères (reçu : {len(code)})")
    wrong = sorted({c for c in code if c not in VALUE})
    if wrong:
        raise CodeError(f"caractère(s) impossible(s) dans un code de chèque : {' '.join(wrong)}")
    if ALPHABET[_check_value(code[:-1])] != code[-1]:
        raise CodeError("code mal saisi : le caractère de contrôle ne correspond pas (vérifiez chaque caractère)")
    return code


def display(code: str) -> str:
    """Groups of 4, 4 and 5 characters, for print and screen."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"
