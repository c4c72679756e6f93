"""Accounts: staff users and admin API tokens (shoppers arrive with the accounts issue)."""
