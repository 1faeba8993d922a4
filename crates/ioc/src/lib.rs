//! Indicator engine: IP/CIDR, domain, URL and hash sets, and list parsers. No I/O.
