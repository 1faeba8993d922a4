//! Storage: one repository layer over SQLite (embedded default) and PostgreSQL.
