//! The spec's string sets, hand-written in place of the generator's (see `build.rs`).
//!
//! Open enums, for sets the server extends without notice: the generator's enums are closed,
//! so one unknown value would fail a whole page. These stand in for the spec's
//! `AvailabilityStatus`, `ChannelType` and `Provider` schemas (`REPLACEMENTS`) and keep any
//! value they do not know in `Other`. Closed enums, for the sort parameters (`CLOSED`).

use std::{borrow::Cow, convert::Infallible, fmt, marker::PhantomData, str::FromStr};

/// A value of an open enum ([`AvailabilityStatus`], [`ChannelType`], [`Provider`]) that this
/// version of the crate does not know: its text, as the server sent it, and nothing to build
/// one from but the enum's `From<&str>`, which gives a known value its own variant. Its
/// text is not a pattern to match: a value known later leaves `Other` for a variant of its
/// own, so compare with [`as_str`](AvailabilityStatus::as_str) on the enum instead. Each
/// enum has its own (`E` is the enum): a value unknown to one may be known to another.
///
/// ```
/// use livedesk::types::AvailabilityStatus;
///
/// let status = AvailabilityStatus::from("busy");
/// assert!(matches!(&status, AvailabilityStatus::Other(value) if value.as_str() == "busy"));
/// assert_eq!(status.as_str(), "busy");
/// // A known value never lands in `Other`, so values compare as their text does.
/// assert_eq!(AvailabilityStatus::from("online".to_owned()), AvailabilityStatus::Online);
/// ```
///
/// `Other` is not built from text, so it never holds a value a variant names:
///
/// ```compile_fail,E0308
/// let email = livedesk::types::ChannelType::Other("Channel::Email".to_owned());
/// ```
///
/// nor from another enum's unknown value (`Channel::Email` is no availability status):
///
/// ```compile_fail,E0308
/// use livedesk::types::{AvailabilityStatus, ChannelType};
/// if let AvailabilityStatus::Other(value) = AvailabilityStatus::from("Channel::Email") {
///     let email = ChannelType::Other(value);
/// }
/// ```
pub struct UnknownValue<E>(String, PhantomData<fn() -> E>);

impl<E> UnknownValue<E> {
    fn new(value: String) -> Self {
        Self(value, PhantomData)
    }

    /// The value as the server sent it.
    ///
    /// ```
    /// # use livedesk::types::{ChannelType, UnknownValue};
    /// if let ChannelType::Other(value) = ChannelType::from("Channel::Carrier") {
    ///     assert_eq!(value.as_str(), "Channel::Carrier");
    /// }
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// By hand: derived, they would ask the same of `E`.
impl<E> Clone for UnknownValue<E> {
    fn clone(&self) -> Self {
        Self::new(self.0.clone())
    }
}

impl<E> fmt::Debug for UnknownValue<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UnknownValue").field(&self.0).finish()
    }
}

impl<E> PartialEq for UnknownValue<E> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<E> Eq for UnknownValue<E> {}

impl<E> std::hash::Hash for UnknownValue<E> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl<E> PartialOrd for UnknownValue<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for UnknownValue<E> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

impl<E> fmt::Display for UnknownValue<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this version of the crate does not know, kept as the server sent it.
            /// Read it with [`as_str`](Self::as_str), never by matching its text: a later
            /// version that knows the value gives it a variant of its own. Only values no
            /// variant names are held here, so equal values compare equal.
            Other(UnknownValue<$name>),
        }

        impl $name {
            /// The value as it travels on the wire.
            ///
            #[doc = concat!(
                "```\nuse livedesk::types::", stringify!($name), ";\n\n",
                "let value = ", stringify!($name), "::from(\"not-yet-known\");\n",
                "assert_eq!(value.as_str(), \"not-yet-known\");\n```"
            )]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::Other(other) => other.as_str(),
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($wire => Self::$variant,)*
                    other => Self::Other(UnknownValue::new(other.to_owned())),
                }
            }
        }

        impl From<String> for $name {
            /// Keeps the string itself for a value it does not know, never a copy of it.
            fn from(value: String) -> Self {
                match value.as_str() {
                    $($wire => Self::$variant,)*
                    _ => Self::Other(UnknownValue::new(value)),
                }
            }
        }

        impl FromStr for $name {
            type Err = Infallible;
            fn from_str(value: &str) -> Result<Self, Infallible> {
                Ok(Self::from(value))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Cow::<'de, str>::deserialize(deserializer).map(|s| match s {
                    Cow::Borrowed(s) => Self::from(s),
                    Cow::Owned(s) => Self::from(s),
                })
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                // Any string: the known values are examples, not limits.
                schemars::json_schema!({
                    "type": "string",
                    "examples": [$($wire),*]
                })
            }
        }
    };
}

open_enum! {
    /// Presence of a contact.
    ///
    /// ```
    /// use livedesk::types::AvailabilityStatus;
    ///
    /// let status: AvailabilityStatus = serde_json::from_str(r#""away""#)?;
    /// assert_eq!(status.as_str(), "away");
    /// assert!(matches!(status, AvailabilityStatus::Other(_)));
    /// assert_eq!(AvailabilityStatus::from("online"), AvailabilityStatus::Online);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    AvailabilityStatus {
        /// `online`
        Online = "online",
        /// `offline`
        Offline = "offline",
    }
}

open_enum! {
    /// Kind of channel behind an inbox.
    ///
    /// ```
    /// use livedesk::types::ChannelType;
    ///
    /// assert_eq!(ChannelType::from("Channel::Email"), ChannelType::Email);
    /// assert_eq!(ChannelType::Whatsapp.to_string(), "Channel::Whatsapp");
    /// ```
    ChannelType {
        /// `Channel::WebWidget`: the website chat widget.
        WebWidget = "Channel::WebWidget",
        /// `Channel::Api`
        Api = "Channel::Api",
        /// `Channel::Email`
        Email = "Channel::Email",
        /// `Channel::FacebookPage`
        FacebookPage = "Channel::FacebookPage",
        /// `Channel::Instagram`
        Instagram = "Channel::Instagram",
        /// `Channel::Telegram`
        Telegram = "Channel::Telegram",
        /// `Channel::Line`
        Line = "Channel::Line",
        /// `Channel::Whatsapp`
        Whatsapp = "Channel::Whatsapp",
        /// `Channel::Sms`
        Sms = "Channel::Sms",
        /// `Channel::TwilioSms`
        TwilioSms = "Channel::TwilioSms",
        /// `Channel::TwitterProfile`
        TwitterProfile = "Channel::TwitterProfile",
        /// `Channel::Voice`
        Voice = "Channel::Voice",
    }
}

open_enum! {
    /// Vendor behind a channel (an inbox without one has `provider: None`).
    ///
    /// ```
    /// use livedesk::types::Provider;
    ///
    /// assert_eq!("twilio".parse::<Provider>(), Ok(Provider::Twilio));
    /// assert_eq!(Provider::from("carrier_pigeon").as_str(), "carrier_pigeon");
    /// ```
    Provider {
        /// `whatsapp_cloud`
        WhatsappCloud = "whatsapp_cloud",
        /// `default`
        Default = "default",
        /// `engagelab_whatsapp`
        EngagelabWhatsapp = "engagelab_whatsapp",
        /// `twilio`
        Twilio = "twilio",
        /// `google`
        Google = "google",
        /// `microsoft`
        Microsoft = "microsoft",
    }
}

/// Closed enums: the sort parameters, which the client sends. A value outside the set is
/// refused as the crate's [`Error::InvalidArgument`](crate::Error::InvalidArgument), which
/// says what the parameter accepts (the generated types' error was a private type's
/// `invalid value`).
macro_rules! closed_enum {
    (
        $(#[$meta:meta])*
        $name:ident ($argument:literal) { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)* }
    ) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, schemars::JsonSchema,
        )]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant,)*
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(match self {
                    $(Self::$variant => $wire,)*
                })
            }
        }

        impl FromStr for $name {
            type Err = crate::Error;
            fn from_str(value: &str) -> Result<Self, crate::Error> {
                match value {
                    $($wire => Ok(Self::$variant),)*
                    _ => Err(crate::error::invalid_argument($argument)),
                }
            }
        }

        impl TryFrom<&str> for $name {
            type Error = crate::Error;
            fn try_from(value: &str) -> Result<Self, crate::Error> {
                value.parse()
            }
        }

        impl TryFrom<String> for $name {
            type Error = crate::Error;
            fn try_from(value: String) -> Result<Self, crate::Error> {
                value.parse()
            }
        }
    };
}

closed_enum! {
    /// A field the server can sort contacts by (the `sort` parameter). The newest upstream
    /// versions call the company's key `company_name` and ignore `company` (the order is then
    /// unspecified).
    ///
    /// ```
    /// use livedesk::SortField;
    ///
    /// assert_eq!("created_at".parse::<SortField>()?, SortField::CreatedAt);
    /// assert_eq!(SortField::LastActivityAt.to_string(), "last_activity_at");
    /// let refused = "colour".parse::<SortField>().unwrap_err();
    /// assert!(refused.to_string().contains("`created_at`"), "{refused}");
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    SortField ("sort") {
        /// `email`
        Email = "email",
        /// `name`
        Name = "name",
        /// `phone_number`
        PhoneNumber = "phone_number",
        /// `last_activity_at`
        LastActivityAt = "last_activity_at",
        /// `created_at`
        CreatedAt = "created_at",
        /// `company`
        Company = "company",
        /// `city`
        City = "city",
        /// `country`
        Country = "country",
    }
}

closed_enum! {
    /// Ascending or descending order (the `direction` parameter, with a `sort`).
    ///
    /// ```
    /// use livedesk::SortDirection;
    ///
    /// assert_eq!(SortDirection::try_from("desc")?, SortDirection::Desc);
    /// assert!("DESC".parse::<SortDirection>().is_err());
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    SortDirection ("direction") {
        /// `asc`
        Asc = "asc",
        /// `desc`
        Desc = "desc",
    }
}
