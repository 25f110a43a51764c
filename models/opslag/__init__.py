"""Storage: the engine, column types, the table definitions, the migrations and the file store."""
