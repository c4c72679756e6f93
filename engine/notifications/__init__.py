"""Transactional e-mail: templates a theme can override, sent over SMTP from jobs."""
