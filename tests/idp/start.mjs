// Starts the test IdP as a child process and resolves once it has printed its issuer.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const server = fileURLToPath(new URL('./server.mjs', import.meta.url));

export function startIdp({ accessTokenTtl = 3600, port = 0, env = {} } = {}) {
  const child = spawn(process.execPath, [server], {
    env: { ...process.env, IDP_ACCESS_TOKEN_TTL: String(accessTokenTtl), IDP_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the test IdP exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', (line) => {
      const { issuer } = JSON.parse(line);
      resolve({ issuer, stop: () => child.kill() });
    });
  });
}
