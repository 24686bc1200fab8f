"""Notification tests: channels against local fakes, the scheduler on a frozen clock, the CLI and the pages."""
