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
  tokens/     one file per valid access token, holding its user; delete it to revoke the token
POST /token      the token endpoint (both ports)
POST /introspect RFC 7662 introspection of token=... for Dovecot's oauth2 passdb (both ports)
"""
import http.server, json, os, socket, ssl, subprocess, sys, threading, urllib.parse

state = sys.argv[1]
os.makedirs(os.path.join(state, 'tokens'), exist_ok=True)
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
            token = form.get('token', [''])[0]
            path = os.path.join(state, 'tokens', token)
            if token and '/' not in token and os.path.exists(path):
                return self.reply(200, {'active': True, 'username': open(path).read().strip()})
            return self.reply(200, {'active': False})
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
            with open(os.path.join(state, 'tokens', token), 'w') as f:
                f.write(read('user', 'user'))
            self.reply(200, {'access_token': token, 'token_type': 'Bearer', 'expires_in': int(read('expires_in', '3600'))})

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
