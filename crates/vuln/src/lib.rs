//! Advisories (MSRC CVRF, CSAF, KEV, NVD), host inventories and vulnerability matching. No I/O.
