//! Domain types shared by every canhgac crate: ids, units, users, roles, assets, and the [`Actor`] that scopes every
//! read and write to the units the person may see. No I/O.
//!
//! ```
//! use canhgac_model::{Actor, Role, Scope, UnitId, UserId};
//! let officer = Actor { user_id: UserId(7), unit_id: UnitId(3), role: Role::DutyOfficer };
//! assert_eq!(officer.scope(), Scope::Unit(UnitId(3)));
//! assert!(!officer.can_write_unit(UnitId(4)));
//! ```

mod actor;
mod alert;
mod asset;
mod org;
pub mod roster;
pub mod scan;
mod validate;

pub use actor::{Actor, Permission, Role, Scope};
pub use alert::{Alert, AlertComment, AlertStatus, NewAlert, Severity, Verdict};
pub use asset::{Asset, AssetFields, AssetInput, AssetKind, AssetStatus, Criticality};
pub use org::{Contact, ContactInput, Unit, UnitInput, UnitKind, UnitRange, User};
pub use validate::{parse_cidr, parse_ip_list, parse_mac, FieldError, Invalid};

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A unit (the Department itself, a hospital, a health centre).
    UnitId
);
id_type!(
    /// A person who signs in.
    UserId
);
id_type!(
    /// A server or workstation.
    AssetId
);
id_type!(
    /// An escalation contact.
    ContactId
);

/// Milliseconds since the Unix epoch, UTC. Stored as a 64-bit integer on every backend.
pub type Millis = i64;
