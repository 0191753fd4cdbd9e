"""Passwords: how they are hashed, on which threads, and which ones the policy refuses."""
