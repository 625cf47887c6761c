// What every window test sets up the same way: a free loopback port, and the app's environment
// (a home of its own, so nothing of the user's is read or written; the database and listener).
import { createServer } from 'node:net';
import { join } from 'node:path';

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

export function appEnv(home, db, listenPort) {
  return {
    ...process.env,
    HOME: home,
    XDG_DATA_HOME: join(home, 'data'),
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
    INLET_DB: db,
    INLET_LISTEN: `127.0.0.1:${listenPort}`,
  };
}
