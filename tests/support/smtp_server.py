"""A real SMTP server for lodestone's tests: aiosmtpd on 127.0.0.1, one file per message.

Usage: smtp_server.py PORT DIRECTORY [USERNAME PASSWORD]

Each message received is written to DIRECTORY as NNNN.eml (the data as received) and
NNNN.json: the envelope (MAIL FROM, RCPT TO, the AUTH user if any), the headers as received,
and every MIME part decoded by Python's email package (text parts as text, others as their
size and first bytes), so that tests read what a mail client would show. With USERNAME and
PASSWORD the server offers AUTH PLAIN/LOGIN on the plain connection (loopback only) and
accepts only that pair. Prints "ready PORT" on stdout once it accepts connections; stops on
SIGTERM or when stdin closes.
"""

import email
import email.policy
import json
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Recorder:
    def __init__(self, directory):
        self.directory = directory
        # A restarted server goes on numbering after the messages already there.
        self.count = len([name for name in os.listdir(directory) if name.endswith(".json")])
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            number = self.count
        base = os.path.join(self.directory, "%04d" % number)
        with open(base + ".eml.part", "wb") as data:
            data.write(envelope.original_content or envelope.content)
        os.rename(base + ".eml.part", base + ".eml")
        auth = None
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            auth = session.auth_data.login.decode()
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos, "auth": auth}
        meta.update(describe(envelope.original_content or envelope.content))
        with open(base + ".json", "w") as out:
            json.dump(meta, out)
        return "250 Message accepted for delivery"


def describe(data):
    message = email.message_from_bytes(data, policy=email.policy.default)
    parts = []
    for part in message.walk():
        entry = {"content_type": part.get_content_type()}
        if not part.is_multipart():
            payload = part.get_payload(decode=True) or b""
            entry["content_id"] = part.get("Content-ID")
            entry["disposition"] = part.get_content_disposition()
            entry["size"] = len(payload)
            if part.get_content_maintype() == "text":
                entry["text"] = payload.decode(part.get_content_charset() or "utf-8", "replace")
            else:
                entry["head"] = payload[:8].hex()
        parts.append(entry)
    headers = [[name, str(value)] for name, value in message.items()]
    return {"headers": headers, "parts": parts}


def main():
    port = int(sys.argv[1])
    directory = sys.argv[2]
    credentials = sys.argv[3:5] if len(sys.argv) >= 5 else None
    os.makedirs(directory, exist_ok=True)

    def authenticate(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword) or credentials is None:
            return AuthResult(success=False, handled=False)
        ok = auth_data.login == credentials[0].encode() and auth_data.password == credentials[1].encode()
        return AuthResult(success=ok, auth_data=auth_data)

    options = {}
    if credentials:
        options = dict(authenticator=authenticate, auth_require_tls=False, auth_required=True)
    controller = Controller(Recorder(directory), hostname="127.0.0.1", port=port, **options)
    controller.start()
    print("ready %d" % port, flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())

    def watch_stdin():
        sys.stdin.read()
        stopped.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
