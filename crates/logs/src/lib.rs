//! Log parsers: EVTX, JSON lines of Windows events, syslog → events.
