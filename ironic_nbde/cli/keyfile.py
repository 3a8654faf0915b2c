"""Read an operator key file: a JWK (JSON) or a PEM key."""

from jwcrypto import jwk as jwcrypto_jwk


def read(path):
    """:returns: a jwcrypto JWK.

    :raises: OSError (unreadable) or ValueError (not a key): the caller
        names the option in its own error.
    """
    with open(path, 'rb') as f:
        data = f.read()
    try:
        if b'-----BEGIN' in data:
            return jwcrypto_jwk.JWK.from_pem(data)
        return jwcrypto_jwk.JWK.from_json(data)
    except (ValueError, TypeError) as e:
        raise ValueError(type(e).__name__)
