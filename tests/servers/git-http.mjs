// git over HTTP for the tests: the real `git http-backend` (CGI) serving the bare repositories
// under GIT_ROOT, behind HTTP Basic whose password must be a token the test IdP says is active
// (IDP_ISSUER, introspection): a revoked or expired token gets 401, as a forge would answer.
// `GET /_control/seen` (no auth) lists {username, token} of the requests it let through.
//   GIT_ROOT=dir IDP_ISSUER=http://127.0.0.1:PORT node tests/servers/git-http.mjs
import { spawn } from 'node:child_process';
import http from 'node:http';
import { active, json } from './introspect.mjs';

const seen = [];
let refused = 0;
const server = http.createServer(async (req, res) => {
  if (req.url === '/_control/seen') return json(res, 200, { seen, refused });
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const [username, token] = basic ? Buffer.from(basic, 'base64').toString().split(/:(.*)/s) : [];
  if (!token || !(await active(token))) {
    if (token) refused += 1;
    res.writeHead(401, { 'www-authenticate': 'Basic realm="tokentray test git"' });
    return res.end();
  }
  seen.push({ username, token });
  const url = new URL(req.url, 'http://git.test');
  const env = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: process.env.GIT_ROOT,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REQUEST_METHOD: req.method,
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_USER: username,
    REMOTE_ADDR: '127.0.0.1',
    GIT_PROTOCOL: req.headers['git-protocol'] ?? '',
    HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
  };
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  req.pipe(cgi.stdin);
  // CGI: header lines, a blank line, then the body.
  let head = Buffer.alloc(0);
  let started = false;
  cgi.stdout.on('data', (chunk) => {
    if (started) return res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    let status = 200;
    const headers = {};
    for (const line of head.subarray(0, end).toString().split('\r\n')) {
      const [name, value] = line.split(/:\s*(.*)/s);
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    started = true;
    res.write(head.subarray(end + 4));
  });
  cgi.on('close', () => res.end());
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })));
