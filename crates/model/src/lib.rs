//! Domain types shared by every canhgac crate: ids, units, users, roles, assets. No I/O.
