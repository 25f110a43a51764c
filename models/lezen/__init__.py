"""Read models: report figures, their publication and the archive; they never change a casus."""
