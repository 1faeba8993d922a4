//! Certificate pinning: the agent accepts exactly one server certificate, named by the SHA-256 of its DER bytes
//! (`sha256:HEX`, what `openssl x509 -noout -fingerprint -sha256` prints, colons optional), instead of trusting
//! a certificate authority. Names and dates are not checked: the pin is the identity. The handshake signature is
//! still verified with the pinned certificate's key, so only the holder of its private key can answer.

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The SHA-256 fingerprint of the one server certificate to accept.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Pin([u8; 32]);

impl Pin {
    /// Parses `sha256:HEX` (64 hexadecimal digits, upper or lower case, colons between bytes allowed).
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |message: String| Error::Config { name: "pin", message };
        let t = text.trim();
        let hex_part = t
            .strip_prefix("sha256:")
            .or_else(|| t.strip_prefix("SHA256:"))
            .ok_or_else(|| {
                bad(format!(
                    "{t:?}: expected sha256: followed by 64 hexadecimal digits"
                ))
            })?;
        let digits: String = hex_part.chars().filter(|c| *c != ':').collect();
        let bytes = hex::decode(&digits)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| bad(format!("{t:?}: not 32 bytes of hexadecimal")))?;
        Ok(Self(bytes))
    }

    /// The pin of a DER certificate.
    pub fn of_der(der: &[u8]) -> Self {
        Self(Sha256::digest(der).into())
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a pinned connection was refused. rustls shows it with `Debug`, so both print the sentence.
struct Mismatch {
    expected: Pin,
    actual: Pin,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the server's certificate is {}, not the pinned {}",
            self.actual, self.expected
        )
    }
}

impl fmt::Debug for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Mismatch {}

/// A rustls verifier that accepts the pinned certificate only.
#[derive(Debug)]
struct PinVerifier {
    pin: Pin,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let actual = Pin::of_der(end_entity.as_ref());
        if actual == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(Mismatch {
                    expected: self.pin,
                    actual,
                })),
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A rustls client configuration that accepts only the pinned certificate.
pub(crate) fn client_config(pin: Pin) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config {
            name: "tls",
            message: e.to_string(),
        })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinVerifier { pin, provider }))
        .with_no_client_auth();
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_parse_in_the_usual_spellings_and_bad_ones_are_named() {
        let lower = format!("sha256:{}", "ab".repeat(32));
        let p = Pin::parse(&lower).unwrap();
        assert_eq!(p.to_string(), lower);
        let openssl = format!("SHA256:{}", vec!["AB"; 32].join(":"));
        assert_eq!(Pin::parse(&openssl).unwrap(), p);
        for bad in [
            "ab".repeat(32),
            format!("sha256:{}", "ab".repeat(31)),
            "sha256:zz".into(),
        ] {
            let err = Pin::parse(&bad).unwrap_err().to_string();
            assert!(err.contains("pin"), "{err}");
        }
        assert_eq!(Pin::of_der(b"x"), Pin(Sha256::digest(b"x").into()));
    }
}
