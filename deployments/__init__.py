"""Deployment definitions and schedules."""
