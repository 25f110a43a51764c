"""The writers: the only code that changes a casus, its deadlines and outbox, and writes its audit trail."""
