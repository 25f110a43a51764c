"""Letters: their content and checks (inhoud) and their PDF rendering (pdf)."""
