"""The store: two engines (SQLite, PostgreSQL), split by what each part keeps, and the
migrations both run. It keeps and fetches; every rule about what the data means is above it."""
