"""Pure domain rules: no storage (sqlalchemy/sqlmodel) and no Prefect; tests/test_architectuur.py checks it."""
