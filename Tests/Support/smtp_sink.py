"""A real SMTP server for the tests (Debian's python3-aiosmtpd): stores each message's raw bytes.

    python3 smtp_sink.py PORT FOLDER

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


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


if __name__ == "__main__":
    main()
