"""RSA keys as Alipay's RSA2 uses them (SHA256withRSA): made, read from what people paste, signing and verifying."""

import base64
import binascii

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

#: RSA2 keys are 2048 bits; shorter ones are refused.
MIN_BITS = 2048


def generate() -> tuple[str, str]:
    """A new key pair as (private PEM, public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=MIN_BITS)
    return _private_pem(key), _public_pem(key.public_key())


def private_pem(text: str) -> str:
    """An RSA private key pasted as PEM (PKCS#1 or #8) or as the bare base64 Alipay's key tool gives, as PKCS#8 PEM.

    Raises ValueError when it is not one, or shorter than 2048 bits.
    """
    text = (text or "").strip()
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = serialization.load_der_private_key(_der(text), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError("not an unencrypted private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_BITS:
        raise ValueError("not an RSA key of 2048 bits or more")
    return _private_pem(key)


def public_pem(text: str) -> str:
    """An RSA public key pasted as PEM or bare base64 (X.509 SubjectPublicKeyInfo or PKCS#1), as PEM.

    Raises ValueError when it is not one, or shorter than 2048 bits.
    """
    text = (text or "").strip()
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_public_key(text.encode())
        else:
            der = _der(text)
            try:
                key = serialization.load_der_public_key(der)
            except ValueError:
                key = serialization.load_der_public_key(_pkcs1_to_spki(der))
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError("not a public key") from exc
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_BITS:
        raise ValueError("not an RSA key of 2048 bits or more")
    return _public_pem(key)


def is_private(text: str) -> bool:
    """Whether the text is a private key (someone pasted theirs where a public key belongs)."""
    try:
        private_pem(text)
    except ValueError:
        return False
    return True


def public_of(private: str) -> str:
    """The public half of a private key, as PEM."""
    return _public_pem(serialization.load_pem_private_key(private.encode(), password=None).public_key())


def tail(pem: str, length: int = 6) -> str:
    """The last characters of a key's body: enough for people to tell keys apart, too few to matter."""
    body = "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))
    return body.rstrip("=")[-length:]


def signing_string(params: dict, exclude: tuple[str, ...] = ("sign", "sign_type")) -> str:
    """Alipay's string to sign: every non-empty parameter but `exclude`, sorted by name, as k=v joined by &."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in exclude and v not in ("", None))


def sign(private: str, message: str) -> str:
    """An RSA2 signature of message (UTF-8), base64."""
    key = serialization.load_pem_private_key(private.encode(), password=None)
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(public: str, message: str, signature: str) -> bool:
    """Whether signature (base64) is public's RSA2 signature of message; anything malformed is False."""
    try:
        key = serialization.load_pem_public_key(public.encode())
        key.verify(base64.b64decode(signature, validate=True), message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, TypeError, binascii.Error):
        return False
    return True


def _der(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except binascii.Error as exc:
        raise ValueError("not base64") from exc


def _pkcs1_to_spki(der: bytes) -> bytes:
    """A PKCS#1 RSAPublicKey wrapped as SubjectPublicKeyInfo, which is what the loader reads."""
    pem = b"-----BEGIN RSA PUBLIC KEY-----\n" + base64.encodebytes(der) + b"-----END RSA PUBLIC KEY-----\n"
    return serialization.load_pem_public_key(pem).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _private_pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _public_pem(key) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
