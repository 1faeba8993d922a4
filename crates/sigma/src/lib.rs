//! Sigma detection engine: parse → compile → match. No I/O.
