"""Scheduled work: APScheduler decides when; the database says what is due, what was sent
and what was answered, and claims make every fire happen once across workers."""
