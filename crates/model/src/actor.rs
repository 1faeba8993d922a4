//! Who is asking, and what they may touch.

use serde::{Deserialize, Serialize};

use crate::{UnitId, UserId};

/// A user's role. Department roles belong to the Department unit and see every unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// Administers the whole network: units, users, contacts, every unit's data.
    DeptAdmin,
    /// Administers one unit: its users, assets, ranges.
    UnitAdmin,
    /// Watches and handles alerts for one unit; edits its assets.
    DutyOfficer,
    /// Reads one unit's data.
    Viewer,
    /// Takes training only; sees no security data.
    Staff,
}

impl Role {
    /// Every role, in the order shown to people.
    pub const ALL: [Role; 5] = [
        Role::DeptAdmin,
        Role::UnitAdmin,
        Role::DutyOfficer,
        Role::Viewer,
        Role::Staff,
    ];

    /// The stable name stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::DeptAdmin => "dept_admin",
            Role::UnitAdmin => "unit_admin",
            Role::DutyOfficer => "duty_officer",
            Role::Viewer => "viewer",
            Role::Staff => "staff",
        }
    }

    /// Parses [`Role::as_str`] back.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Which units' data a request may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every unit (Department roles).
    All,
    /// One unit only.
    Unit(UnitId),
    /// No unit data at all (staff who only take training).
    Nothing,
}

impl Scope {
    /// Whether data of `unit` is visible in this scope.
    pub fn covers(self, unit: UnitId) -> bool {
        match self {
            Scope::All => true,
            Scope::Unit(u) => u == unit,
            Scope::Nothing => false,
        }
    }
}

/// What an action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read security data (assets, ranges, audit of the unit).
    Read,
    /// Change operational data (assets).
    Operate,
    /// Administer a unit (users, ranges, unit details).
    AdministerUnit,
    /// Administer the Department (units, contacts, every unit).
    AdministerDepartment,
}

/// The person behind a request, resolved from a session or an API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// The user.
    pub user_id: UserId,
    /// The unit the user belongs to (the Department's own unit for Department roles).
    pub unit_id: UnitId,
    /// The user's role.
    pub role: Role,
}

impl Actor {
    /// The units whose data this actor may read.
    pub fn scope(&self) -> Scope {
        match self.role {
            Role::DeptAdmin => Scope::All,
            Role::UnitAdmin | Role::DutyOfficer | Role::Viewer => Scope::Unit(self.unit_id),
            Role::Staff => Scope::Nothing,
        }
    }

    /// Whether the actor holds `perm` over `unit`.
    pub fn allows(&self, perm: Permission, unit: UnitId) -> bool {
        if !self.scope().covers(unit) {
            return false;
        }
        match (self.role, perm) {
            (Role::DeptAdmin, _) => true,
            (Role::UnitAdmin, Permission::AdministerDepartment) => false,
            (Role::UnitAdmin, _) => true,
            (Role::DutyOfficer, Permission::Read | Permission::Operate) => true,
            (Role::Viewer, Permission::Read) => true,
            _ => false,
        }
    }

    /// Whether the actor may change operational data of `unit`.
    pub fn can_write_unit(&self, unit: UnitId) -> bool {
        self.allows(Permission::Operate, unit)
    }

    /// Whether the actor is a Department administrator.
    pub fn is_dept_admin(&self) -> bool {
        self.role == Role::DeptAdmin
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: UserId(1),
            unit_id: UnitId(10),
            role,
        }
    }

    #[rstest]
    #[case(Role::DeptAdmin, Permission::AdministerDepartment, 99, true)]
    #[case(Role::UnitAdmin, Permission::AdministerUnit, 10, true)]
    #[case(Role::UnitAdmin, Permission::AdministerUnit, 11, false)]
    #[case(Role::UnitAdmin, Permission::AdministerDepartment, 10, false)]
    #[case(Role::DutyOfficer, Permission::Operate, 10, true)]
    #[case(Role::DutyOfficer, Permission::AdministerUnit, 10, false)]
    #[case(Role::Viewer, Permission::Read, 10, true)]
    #[case(Role::Viewer, Permission::Operate, 10, false)]
    #[case(Role::Viewer, Permission::Read, 11, false)]
    #[case(Role::Staff, Permission::Read, 10, false)]
    fn permissions(#[case] role: Role, #[case] perm: Permission, #[case] unit: i64, #[case] expected: bool) {
        assert_eq!(actor(role).allows(perm, UnitId(unit)), expected);
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
