"""Throwaway certificate authorities for TLS tests: a CA, a localhost server cert, a client cert."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Certificates are checked against the wall clock by OpenSSL and Go, not by our injected one.
_NOT_BEFORE = datetime(2020, 1, 1, tzinfo=UTC)
_LIFETIME = timedelta(days=365 * 30)


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


@dataclass(frozen=True)
class Authority:
    """A CA's certificate and key on disk, and the private key in memory to sign with."""

    cert: Path
    key: Path
    _private: ec.EllipticCurvePrivateKey
    _certificate: x509.Certificate

    def issue(self, directory: Path, name: str, *, server: bool) -> Pair:
        """A leaf for 127.0.0.1/localhost (server) or a client named `name`."""
        private = ec.generate_private_key(ec.SECP256R1())
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = _builder(name, private, issuer=self._certificate.subject)
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        if server:
            names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        certificate = builder.sign(self._private, hashes.SHA256())
        return _write(directory, name, certificate, private)


def authority(directory: Path, name: str = "tightrope-test-ca") -> Authority:
    """A self-signed CA written to `directory/<name>.crt` and `.key`."""
    directory.mkdir(parents=True, exist_ok=True)
    private = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = _builder(name, private, issuer=subject)
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    builder = builder.add_extension(
        x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False,
        ),
        critical=True,
    )  # fmt: skip
    certificate = builder.sign(private, hashes.SHA256())
    pair = _write(directory, name, certificate, private)
    return Authority(pair.cert, pair.key, private, certificate)


def write_encrypted_key(path: Path, passphrase: bytes) -> Path:
    """A passphrase-protected key (which a sidecar must refuse rather than prompt for)."""
    private = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase),
        )
    )
    return path


def _builder(
    name: str, private: ec.EllipticCurvePrivateKey, *, issuer: x509.Name
) -> x509.CertificateBuilder:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_BEFORE + _LIFETIME)
    )


def _write(
    directory: Path, name: str, certificate: x509.Certificate, private: ec.EllipticCurvePrivateKey
) -> Pair:
    cert = directory / f"{name}.crt"
    key = directory / f"{name}.key"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Pair(cert, key)
