"""A real SMTP server for the tests (Debian's python3-aiosmtpd): stores each message's raw bytes.

    python3 smtp_sink.py PORT FOLDER [CERT KEY USER PASSWORD]

With CERT and KEY it offers STARTTLS and requires it; with USER and PASSWORD it requires AUTH (after TLS).

Recipients starting with "reject" get 550, with "tempfail" 451; everything else is accepted.
Prints "ready" once listening; stops on SIGTERM or SIGKILL.
"""
import os
import signal
import sys
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        if address.startswith("tempfail"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        name = "%d.eml" % time.time_ns()
        with open(os.path.join(self.folder, name + ".tmp"), "wb") as out:
            out.write(envelope.original_content)
        os.rename(os.path.join(self.folder, name + ".tmp"), os.path.join(self.folder, name))
        return "250 2.0.0 accepted"


class Credentials:
    def __init__(self, user, password):
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult
        ok = getattr(auth_data, "login", None) == self.user and getattr(auth_data, "password", None) == self.password
        return AuthResult(success=ok)


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    options = {}
    if len(sys.argv) >= 5:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[3], sys.argv[4])
        options.update(tls_context=context, require_starttls=True)
    if len(sys.argv) >= 7:
        options.update(authenticator=Credentials(sys.argv[5], sys.argv[6]), auth_required=True, auth_require_tls=True)
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=port, decode_data=False, **options)
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


if __name__ == "__main__":
    main()
