"""The email model: raw bytes -> :class:`~smartreturn.mail.message.Email` (decoding, HTML->text, forwards)."""
