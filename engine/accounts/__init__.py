"""Accounts: shoppers (customers, addresses, e-mailed links), staff (roles,
two-factor, API tokens) and how requests are authenticated.

Modules: ``passwords`` (argon2id, the password policy), ``customers`` (the
shopper services), ``customer_signin`` (shopper sign-in and reset requests,
throttled), ``staff`` (staff accounts; also re-exports the staff API below),
``roles`` (roles, the granting rules, the staff services' errors and audit
helper), ``two_factor`` (TOTP, recovery codes, the two-factor policy),
``api_tokens`` (admin API tokens), ``staff_signin`` (staff sign-in,
throttled and audited), ``permissions`` (permissions and menu entries of
plugins), ``tokens`` (single-use e-mailed tokens), ``mail`` (account
e-mails), ``auth`` (login methods, resolving the request's actor). The pages
are ``engine.storefront.account`` and ``engine.admin``; the JSON API
``engine.api.account`` and ``engine.api.admin_staff``. See docs/security.md.
"""
