#!/usr/bin/env python3
"""A small OAuth2 token endpoint for the tests (refresh-token grant only), on 127.0.0.1.

usage: token_endpoint.py STATE_DIR

It makes a self-signed certificate for 127.0.0.1 in STATE_DIR (cert.pem, also the CA file), serves
HTTPS on a free port and plain HTTP on another, and writes "HTTPS_PORT HTTP_PORT" to STATE_DIR/ports
once listening. Files in STATE_DIR steer and record it:
  mode        ok (default) | invalid_grant | server_error | garbage
  expires_in  seconds for issued tokens (default 3600)
  user        the user tokens are issued for (default "user")
  count       refreshes served so far (written by the server)
  requests    one line per token request: the form fields, urlencoded
  tokens/     one file per valid access token, holding its user (first line) and its expiry (Unix
              time, second line); delete it to revoke the token
  expired/    tokens expired by POST /control/expire (same format)
  introspections  one line per introspection: "active USER", "expired USER" or "unknown"
POST /token      the token endpoint (both ports)
POST /introspect RFC 7662 introspection of token=... for Dovecot's oauth2 passdb (both ports):
                 {"active": true, "username": USER} for a live token, {"active": false} for any
                 other (expired, revoked, unknown); Dovecot 2.3's oauth2 passdb then refuses the
                 login ("Provided token is not valid")
POST /control/expire  every live token becomes expired at once (answers {"expired": N})
POST /control/mode    sets `mode` to the form field value=... (answers {"mode": ...})
GET  /control/count   {"count": refreshes, "introspections": N}
"""
import http.server, json, os, socket, ssl, subprocess, sys, threading, time, urllib.parse

state = sys.argv[1]
os.makedirs(os.path.join(state, 'tokens'), exist_ok=True)
os.makedirs(os.path.join(state, 'expired'), exist_ok=True)
cert, key = os.path.join(state, 'cert.pem'), os.path.join(state, 'key.pem')
if not os.path.exists(cert):
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
                    '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
                    '-keyout', key, '-out', cert], check=True, capture_output=True)
lock = threading.Lock()

def read(name, default):
    try:
        with open(os.path.join(state, name)) as f:
            return f.read().strip() or default
    except OSError:
        return default

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, document):
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get('Content-Length', '0'))
        raw = self.rfile.read(length).decode()
        form = urllib.parse.parse_qs(raw)
        if self.path == '/introspect':
            return self.introspect(form.get('token', [''])[0])
        if self.path == '/control/expire':
            with lock:
                live = os.listdir(os.path.join(state, 'tokens'))
                for name in live:
                    os.replace(os.path.join(state, 'tokens', name), os.path.join(state, 'expired', name))
            return self.reply(200, {'expired': len(live)})
        if self.path == '/control/mode':
            value = form.get('value', ['ok'])[0]
            with lock, open(os.path.join(state, 'mode'), 'w') as f:
                f.write(value)
            return self.reply(200, {'mode': value})
        if self.path != '/token':
            return self.reply(404, {'error': 'not_found'})
        with lock:
            with open(os.path.join(state, 'requests'), 'a') as f:
                f.write(raw + '\n')
            mode = read('mode', 'ok')
            if form.get('grant_type') != ['refresh_token']:
                return self.reply(400, {'error': 'unsupported_grant_type'})
            if mode == 'invalid_grant':
                return self.reply(400, {'error': 'invalid_grant', 'error_description': 'Token has been expired or revoked.'})
            if mode == 'server_error':
                return self.reply(503, b'overloaded')
            if mode == 'garbage':
                return self.reply(200, b'<html>not json</html>')
            count = int(read('count', '0')) + 1
            with open(os.path.join(state, 'count'), 'w') as f:
                f.write(str(count))
            token = f'access-{count}-{os.urandom(6).hex()}'
            expires_in = int(read('expires_in', '3600'))
            with open(os.path.join(state, 'tokens', token), 'w') as f:
                f.write(f"{read('user', 'user')}\n{int(time.time()) + expires_in}\n")
            self.reply(200, {'access_token': token, 'token_type': 'Bearer', 'expires_in': expires_in})

    def do_GET(self):
        if self.path == '/control/count':
            return self.reply(200, {'count': int(read('count', '0')),
                                    'introspections': len(read('introspections', '').splitlines())})
        return self.reply(404, {'error': 'not_found'})

    def introspect(self, token):
        user, state_ = None, 'unknown'
        if token and '/' not in token and token not in ('.', '..'):
            for where in ('tokens', 'expired'):
                try:
                    with open(os.path.join(state, where, token)) as f:
                        lines = f.read().split('\n')
                except OSError:
                    continue
                user = lines[0].strip()
                expiry = int(lines[1]) if len(lines) > 1 and lines[1].strip() else None
                live = where == 'tokens' and (expiry is None or time.time() < expiry)
                state_ = 'active' if live else 'expired'
                break
        with lock, open(os.path.join(state, 'introspections'), 'a') as f:
            f.write(f'{state_} {user}\n' if user is not None else 'unknown\n')
        if state_ == 'active':
            return self.reply(200, {'active': True, 'username': user, 'token_type': 'Bearer'})
        return self.reply(200, {'active': False})

def serve(tls):
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    return server

https, http_ = serve(True), serve(False)
for s in (https, http_):
    threading.Thread(target=s.serve_forever, daemon=True).start()
with open(os.path.join(state, 'ports.tmp'), 'w') as f:
    f.write(f'{https.server_address[1]} {http_.server_address[1]}\n')
os.rename(os.path.join(state, 'ports.tmp'), os.path.join(state, 'ports'))
threading.Event().wait()
