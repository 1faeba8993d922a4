//! The Department, its units, their people and public ranges, and the escalation contacts.

use serde::{Deserialize, Serialize};

use crate::validate::Checker;
use crate::{parse_cidr, ContactId, Invalid, Millis, Role, UnitId, UserId};

/// What kind of unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UnitKind {
    /// The provincial Department of Health itself.
    Department,
    /// A public hospital.
    PublicHospital,
    /// A district or commune health centre.
    HealthCentre,
    /// A private hospital.
    PrivateHospital,
    /// Anything else under the Department.
    Other,
}

impl UnitKind {
    /// Every kind a person may choose for a new unit.
    pub const CHOOSABLE: [UnitKind; 4] = [
        UnitKind::PublicHospital,
        UnitKind::HealthCentre,
        UnitKind::PrivateHospital,
        UnitKind::Other,
    ];

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Department => "department",
            UnitKind::PublicHospital => "public_hospital",
            UnitKind::HealthCentre => "health_centre",
            UnitKind::PrivateHospital => "private_hospital",
            UnitKind::Other => "other",
        }
    }

    /// Parses [`UnitKind::as_str`].
    pub fn parse(s: &str) -> Option<UnitKind> {
        [UnitKind::Department]
            .into_iter()
            .chain(UnitKind::CHOOSABLE)
            .find(|k| k.as_str() == s)
    }
}

/// A unit as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    pub id: UnitId,
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub address: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub created_at: Millis,
}

/// What a person submits to create or edit a unit.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UnitInput {
    pub code: String,
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub contact_email: String,
}

impl UnitInput {
    /// Trims and checks every field; returns all problems.
    pub fn validate(&self) -> Result<(UnitInput, UnitKind), Invalid> {
        let mut c = Checker::default();
        let code = c.required("code", &self.code, 32);
        if !code
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            c.push(crate::FieldError::new("code", "err.code_chars").with_value(&code));
        }
        let name = c.required("name", &self.name, 200);
        let kind = UnitKind::parse(self.kind.trim()).filter(|k| *k != UnitKind::Department);
        if kind.is_none() {
            c.push(crate::FieldError::new("kind", "err.choice").with_value(&self.kind));
        }
        let email = c.optional("contact_email", &self.contact_email, 200);
        if !email.is_empty() && !email.contains('@') {
            c.push(crate::FieldError::new("contact_email", "err.email_invalid").with_value(&email));
        }
        let clean = UnitInput {
            code,
            name,
            kind: self.kind.trim().to_string(),
            address: c.optional("address", &self.address, 500),
            contact_name: c.optional("contact_name", &self.contact_name, 200),
            contact_phone: c.optional("contact_phone", &self.contact_phone, 64),
            contact_email: email,
        };
        let checked = c.finish(clean)?;
        Ok((checked, kind.unwrap_or(UnitKind::Other)))
    }
}

/// A public IP range of a unit (its NAT addresses); botnet lists are matched against these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitRange {
    pub id: i64,
    pub unit_id: UnitId,
    pub cidr: String,
    pub note: String,
}

impl UnitRange {
    /// Canonical CIDR text of a typed range, or the field error.
    pub fn validate(cidr: &str) -> Result<String, Invalid> {
        parse_cidr("cidr", cidr).map_err(|e| Invalid(vec![e]))
    }
}

/// A user as shown (never with the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub unit_id: UnitId,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub must_change_password: bool,
    pub created_at: Millis,
}

/// An escalation contact (VNCERT/CC, NCSC, the provincial centre, …). Kept as data: authorities change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub id: ContactId,
    pub name: String,
    pub role: String,
    pub phone: String,
    pub hotline: String,
    pub email: String,
    pub notes: String,
    pub position: i64,
}

/// What a person submits to create or edit a contact.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContactInput {
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub hotline: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub position: i64,
}

impl ContactInput {
    /// Trims and checks every field.
    pub fn validate(&self) -> Result<ContactInput, Invalid> {
        let mut c = Checker::default();
        let clean = ContactInput {
            name: c.required("name", &self.name, 200),
            role: c.optional("role", &self.role, 500),
            phone: c.optional("phone", &self.phone, 64),
            hotline: c.optional("hotline", &self.hotline, 64),
            email: c.optional("email", &self.email, 200),
            notes: c.optional("notes", &self.notes, 2000),
            position: self.position,
        };
        c.finish(clean)
    }
}
