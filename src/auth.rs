//! The API key pair and the `Authorization` header built from it.

use std::fmt;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use reqwest::header::HeaderValue;

use crate::{ConfigError, Error};

/// Environment variable read by [`Credentials::from_env`] for the API key.
pub(crate) const API_KEY_VAR: &str = "LIVEDESK_API_KEY";
/// Environment variable read by [`Credentials::from_env`] for the API secret.
pub(crate) const API_SECRET_VAR: &str = "LIVEDESK_API_SECRET";

/// An API key and secret from the LiveDesk API key page.
///
/// Checked when made, so a client never sends a header the server cannot parse. `Debug`
/// shows the key but never the secret.
///
/// ```
/// use livedesk::Credentials;
///
/// let credentials = Credentials::new("my-key", "my-secret")?;
/// assert_eq!(credentials.api_key(), "my-key");
/// assert!(!format!("{credentials:?}").contains("my-secret"));
///
/// assert!(Credentials::new("key:with-colon", "secret").is_err());
/// # Ok::<(), livedesk::Error>(())
/// ```
#[derive(Clone)]
pub struct Credentials {
    api_key: String,
    api_secret: String,
}

impl Credentials {
    /// Checks and keeps a key pair.
    ///
    /// Refused with [`Error::Config`]: an empty key or secret, a key containing `:` (Basic
    /// auth splits user and password at the first colon), and control characters in either.
    ///
    /// ```
    /// # use livedesk::Credentials;
    /// assert!(Credentials::new("key", "").is_err());
    /// assert!(Credentials::new("key", "se:cret").is_ok()); // a colon in the secret is fine
    /// ```
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<String>) -> Result<Self, Error> {
        let (api_key, api_secret) = (api_key.into(), api_secret.into());
        if api_key.is_empty() {
            return Err(ConfigError::EmptyKey.into());
        }
        if api_secret.is_empty() {
            return Err(ConfigError::EmptySecret.into());
        }
        if api_key.contains(':') {
            return Err(ConfigError::ColonInKey.into());
        }
        // The messages name the field but never echo its value: it may be a secret pasted
        // into the wrong place.
        for (field, value) in [("key", &api_key), ("secret", &api_secret)] {
            if value.chars().any(char::is_control) {
                return Err(ConfigError::ControlCharacter(field).into());
            }
        }
        Ok(Self {
            api_key,
            api_secret,
        })
    }

    /// Reads the key pair from `LIVEDESK_API_KEY` and `LIVEDESK_API_SECRET`.
    ///
    /// ```no_run
    /// let credentials = livedesk::Credentials::from_env()?;
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        Self::new(env_var(API_KEY_VAR)?, env_var(API_SECRET_VAR)?)
    }

    /// The API key (not secret: it names the account's key pair).
    ///
    /// ```
    /// # let credentials = livedesk::Credentials::new("my-key", "my-secret")?;
    /// assert_eq!(credentials.api_key(), "my-key");
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// `Basic base64(api_key:api_secret)`, marked sensitive so that `Debug` of headers and
    /// clients prints `Sensitive` instead.
    pub(crate) fn authorization(&self) -> HeaderValue {
        let mut value = HeaderValue::try_from(format!("Basic {}", self.token()))
            .expect("base64 output is always a valid header value");
        value.set_sensitive(true);
        value
    }

    fn token(&self) -> String {
        STANDARD.encode(format!("{}:{}", self.api_key, self.api_secret))
    }

    /// `text` without the secret or the header's token (which encodes it), wherever they
    /// are and where an excerpt's cut left part of one (`redact::secrets_left_out`): a server
    /// or gateway may echo the header it refused, or the key pair. A secret of one or two
    /// characters stays, as a query does: it would take letters out of every word, and a
    /// guess finds it anyway. A short secret (a test account's `admin`) may take letters out
    /// of a word that holds it; a real one is random.
    pub(crate) fn left_out_of(&self, text: &str) -> String {
        let token = self.token();
        let secret = match self.api_secret.chars().count() {
            0..3 => "",
            _ => &self.api_secret,
        };
        crate::redact::secrets_left_out(text, &[&token, secret])
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .finish()
    }
}

pub(crate) fn env_var(name: &'static str) -> Result<String, Error> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Ok(value),
        Ok(_) => Err(ConfigError::EmptyVariable(name).into()),
        Err(std::env::VarError::NotPresent) => Err(ConfigError::MissingVariable(name).into()),
        Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError::NotUnicodeVariable(name).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_and_its_token_are_left_out_of_text() {
        let credentials = Credentials::new("key", "open sesame").unwrap();
        let echoed = format!("refused Basic {} (key:open sesame)", credentials.token());
        assert_eq!(
            credentials.left_out_of(&echoed),
            "refused Basic <secret> (key:<secret>)"
        );
        // A secret too short to hide anything is left in words; its token is not.
        let short = Credentials::new("key", "s").unwrap();
        assert_eq!(
            short.left_out_of("Invalid Access Token"),
            "Invalid Access Token"
        );
        let token = short.token();
        assert_eq!(
            short.left_out_of(&format!("Basic {token}")),
            "Basic <secret>"
        );
    }
}
