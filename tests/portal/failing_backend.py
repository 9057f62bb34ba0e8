import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPDataError(451, b"refused: try again later")


class FlakyBackend(BaseEmailBackend):
    """Accepts `accept` messages, then the server hangs up. Counts connections opened."""

    accept = 2
    opened = 0
    sent: list = []

    def open(self):
        type(self).opened += 1
        return True

    def send_messages(self, email_messages):
        if len(type(self).sent) >= type(self).accept:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        type(self).sent.extend(email_messages)
        return len(email_messages)


class CountingBackend(BaseEmailBackend):
    """Accepts everything; counts connections opened and messages sent."""

    opened = 0
    sent: list = []

    def open(self):
        type(self).opened += 1
        return True

    def send_messages(self, email_messages):
        type(self).sent.extend(email_messages)
        return len(email_messages)
