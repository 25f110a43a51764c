"""Small Prefect tasks: each is one side effect or one query."""
