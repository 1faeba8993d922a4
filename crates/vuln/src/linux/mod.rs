//! Linux distributions: Debian's package version ordering and the releases Debian's and Ubuntu's security data
//! name (codenames such as `bookworm`, `jammy`).

mod dpkg_version;
mod release;

pub use dpkg_version::{compare_dpkg, DebVersion};
pub use release::{codename_of, Distro};
