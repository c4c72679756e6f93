"""Accounts: shoppers (customers, addresses, e-mailed links), staff (roles,
two-factor, API tokens) and how requests are authenticated.

Modules: ``passwords`` (argon2id, the password policy), ``customers`` (the
shopper services), ``staff`` (staff, roles, TOTP, API tokens), ``tokens``
(single-use e-mailed tokens), ``mail`` (account e-mails), ``auth`` (actors,
``require_permission``, redirect login methods), ``web`` (``/account`` pages)
and ``api`` (``/api/v1/account``). See docs/security.md.
"""
