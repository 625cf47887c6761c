//! Typed identifiers: a connection id and a request id are both UUID v4 text, but never each other.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh random id (UUID v4 from the OS's randomness).
            pub fn generate() -> Self {
                $name(uuid::Uuid::new_v4().to_string())
            }

            /// Accepts only the canonical hyphenated UUID text (lowercased), so that a malformed id
            /// is known not to exist without asking the store.
            pub fn parse(s: &str) -> Option<Self> {
                let u = uuid::Uuid::try_parse(s.trim()).ok()?;
                Some($name(u.hyphenated().to_string()))
            }

            /// An id the store handed back: it wrote only ids made by `generate` or `parse`.
            pub fn from_stored(s: String) -> Self {
                $name(s)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        /// Read as text wherever text is taken (SQL parameters, JSON bodies, log fields); only
        /// building one is checked.
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// A connection's id: the `{id}` of `/hooks/{id}`.
    ConnectionId
);
id_type!(
    /// A logged request's id, returned to the sender as `request_id`.
    RequestId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back_and_garbage_does_not() {
        let id = ConnectionId::generate();
        assert_eq!(ConnectionId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(ConnectionId::parse(&id.as_str().to_uppercase()), Some(id));
        assert_eq!(RequestId::parse("../etc/passwd"), None);
        assert_eq!(RequestId::parse(""), None);
    }
}
