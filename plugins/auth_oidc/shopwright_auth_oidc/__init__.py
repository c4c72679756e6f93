"""OpenID Connect sign-in for Shopwright shoppers."""
