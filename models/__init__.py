"""Data model and pure domain rules of the Veilig Thuis orchestration (no Prefect here)."""
